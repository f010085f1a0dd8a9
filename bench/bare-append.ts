import { createServer } from 'node:http';
import Database from 'better-sqlite3';

/**
 * The floor for ingest: one bare process that takes the same pushes (node:http, no framework), parses each body and
 * appends each event's JSON to SQLite, one transaction per request, with the service's SQLite settings (WAL,
 * synchronous=FULL, 16 KiB pages). No checks, no dedup, no second thread. Run by bench/compare.js:
 *
 *   node dist/bench/bare-append.js FILE
 *
 * Prints `listening on http://127.0.0.1:PORT`; answers 200 to every POST; GET /cpu answers its process.cpuUsage().
 */
const db = new Database(process.argv[2]!);
db.pragma('page_size = 16384');
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.pragma('cache_size = -65536');
db.exec('CREATE TABLE IF NOT EXISTS log (seq INTEGER PRIMARY KEY, payload TEXT NOT NULL)');
const insert = db.prepare('INSERT INTO log (payload) VALUES (?)');
const appendAll = db.transaction((events: unknown[]) => {
  for (const event of events) insert.run(JSON.stringify(event));
});

const server = createServer((req, res) => {
  if (req.method === 'GET') {
    res.end(JSON.stringify({ ...process.cpuUsage(), rss: process.memoryUsage.rss() }));
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { events: unknown[] };
    appendAll(body.events);
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address !== null && typeof address === 'object') console.log(`listening on http://127.0.0.1:${address.port}`);
});
process.on('SIGTERM', () => {
  server.close();
  db.close();
  process.exit(0);
});
