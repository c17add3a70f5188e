import { useEffect, useRef, useState } from 'preact/hooks';

export interface ConfirmRequest {
  title: string;
  question: string;
  confirmLabel: string;
  /** When set, a text the operator must give (a reason or a note), with this label. */
  textLabel?: string;
  /** False when there is nothing to act on: the dialog only informs. */
  possible?: boolean;
  danger?: boolean;
  onConfirm: (text: string) => Promise<void> | void;
}

/**
 * A modal confirmation (native <dialog>: focus is trapped, Escape cancels) that says what
 * the action will touch and asks for the reason or note the action needs.
 */
export function ConfirmDialog({ request, onClose }: { request: ConfirmRequest | null; onClose: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (request && !element.open) {
      setText('');
      element.showModal();
    } else if (!request && element.open) element.close();
  }, [request]);

  const possible = request?.possible !== false;
  const missingText = Boolean(request?.textLabel) && text.trim() === '';
  const submit = async (event: Event) => {
    event.preventDefault();
    if (!request || !possible || missingText) return;
    setBusy(true);
    try {
      await request.onConfirm(text.trim());
    } finally {
      setBusy(false);
      onClose();
    }
  };

  return (
    <dialog ref={dialog} class="confirm" aria-labelledby="confirm-title" onClose={onClose}>
      {request && (
        <form method="dialog" onSubmit={submit}>
          <h2 id="confirm-title">{request.title}</h2>
          <p data-testid="confirm-question">{request.question}</p>
          {request.textLabel && possible && (
            <label>
              {request.textLabel}
              <textarea required rows={3} value={text} onInput={(e) => setText((e.target as HTMLTextAreaElement).value)} />
            </label>
          )}
          <div class="buttons">
            <button type="button" onClick={onClose}>
              {possible ? 'Cancel' : 'Close'}
            </button>
            {possible && (
              <button type="submit" class={request.danger ? 'danger' : 'primary'} disabled={busy || missingText}>
                {request.confirmLabel}
              </button>
            )}
          </div>
        </form>
      )}
    </dialog>
  );
}
