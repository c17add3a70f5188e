import { useState } from 'preact/hooks';
import { type Identity, identify } from '../lib/identity';

/** Sign-in with an API token; the token is kept for this browser tab only. */
export function SignIn({ onSignedIn }: { onSignedIn: (who: Identity) => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await identify(token.trim()));
    } catch (e) {
      const code = (e as { code?: string }).code;
      setError(code === 'UNAUTHENTICATED' ? 'This token is not valid (or was revoked).' : (e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" class="sign-in">
      <form onSubmit={submit} aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">Failure Desk</h1>
        <p>Sign in with an API token (viewer, operator or admin). It is kept for this browser tab only.</p>
        <label>
          API token
          <input type="password" name="token" autoComplete="off" required value={token} onInput={(e) => setToken((e.target as HTMLInputElement).value)} />
        </label>
        {error && (
          <p class="state error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy || token.trim() === ''}>
          Sign in
        </button>
      </form>
    </main>
  );
}
