import { useEffect, useRef } from 'react';

/** A modal question before deleting; the native <dialog> keeps the focus inside and closes on Escape. */
export function ConfirmDelete({
  open,
  name,
  busy,
  onCancel,
  onConfirm,
}: {
  open: boolean;
  name: string;
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
    <dialog ref={ref} aria-labelledby="delete-title" aria-describedby="delete-text" onClose={onCancel}>
      <h2 id="delete-title">Delete “{name}”?</h2>
      <p id="delete-text">
        Delivery stops and the export's hold on the event log is released. Events already in mParticle stay there; dead
        letters and held events of this export are lost.
      </p>
      <div className="form-actions">
        <button type="button" className="secondary" onClick={onCancel} autoFocus>
          Keep the export
        </button>
        <button type="button" className="danger" onClick={onConfirm} disabled={busy}>
          {busy ? 'Deleting…' : 'Delete export'}
        </button>
      </div>
    </dialog>
  );
}
