import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import { themeCss } from './palette.js';
import './styles.css';

// The colours come from palette.ts so that their contrast is checked by a test; they go in before the first paint.
const theme = document.createElement('style');
theme.textContent = themeCss();
document.head.prepend(theme);

const root = document.getElementById('root');
if (root === null) throw new Error('index.html lost its <div id="root">');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
