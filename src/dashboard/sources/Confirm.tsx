import { useEffect, useRef } from 'react';

/** A modal question before an action that cannot be undone; the native <dialog> keeps focus and closes on Escape. */
export function Confirm({
  open,
  title,
  text,
  keep,
  confirm,
  busy,
  onCancel,
  onConfirm,
}: {
  open: boolean;
  title: string;
  text: string;
  keep: string;
  confirm: string;
  busy: boolean;
  onCancel: () => void;
  onConfirm: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (d === null) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  return (
    <dialog ref={ref} aria-labelledby="confirm-title" aria-describedby="confirm-text" onClose={onCancel}>
      <h2 id="confirm-title">{title}</h2>
      <p id="confirm-text">{text}</p>
      <div className="form-actions">
        <button type="button" className="secondary" onClick={onCancel} autoFocus>
          {keep}
        </button>
        <button type="button" className="danger" onClick={onConfirm} disabled={busy}>
          {confirm}
        </button>
      </div>
    </dialog>
  );
}
