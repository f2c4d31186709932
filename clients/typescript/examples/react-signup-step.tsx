// A sign-up step in React over the typed client: the email step, then its code.
// The registration's id and token are kept in sessionStorage so a reload resumes it.
import { useState, type FormEvent } from "react";

import { createRegflowClient, RegflowError, type Registration, type RegistrationSession } from "../src/index.js";

const regflow = createRegflowClient("https://id.example.com");

async function currentSession(): Promise<RegistrationSession> {
  const kept = sessionStorage.getItem("regflow-registration");
  if (kept) {
    const { id, token } = JSON.parse(kept) as { id: string; token: string };
    return regflow.resume(id, token);
  }
  const { registration, session } = await regflow.start({ flow: "member" });
  sessionStorage.setItem("regflow-registration", JSON.stringify({ id: registration.id, token: session.token }));
  return session;
}

export function EmailStep({ onDone }: { onDone: (state: Registration) => void }) {
  const [email, setEmail] = useState("");
  const [code, setCode] = useState("");
  const [sentTo, setSentTo] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  async function submitEmail(event: FormEvent) {
    event.preventDefault();
    setError(null);
    try {
      const state = await (await currentSession()).submit("email", { email });
      setSentTo(state.pending_verification?.target ?? email);
    } catch (e) {
      setError(e instanceof RegflowError ? (e.fieldMessage("email") ?? e.problem.detail) : "Try again.");
    }
  }

  async function submitCode(event: FormEvent) {
    event.preventDefault();
    setError(null);
    try {
      onDone(await (await currentSession()).confirm(code.trim()));
    } catch (e) {
      setError(e instanceof RegflowError ? e.problem.detail : "Try again.");
    }
  }

  if (sentTo === null) {
    return (
      <form onSubmit={submitEmail}>
        <label htmlFor="email">Email</label>
        <input id="email" type="email" autoComplete="email" required value={email}
               onChange={(e) => setEmail(e.target.value)} aria-describedby="email-error" />
        {error && <p id="email-error" role="alert">{error}</p>}
        <button type="submit">Send me a code</button>
      </form>
    );
  }
  return (
    <form onSubmit={submitCode}>
      <p>We sent a 6-digit code to {sentTo}.</p>
      <label htmlFor="code">Code</label>
      <input id="code" inputMode="numeric" autoComplete="one-time-code" pattern="[0-9]{6}" required
             value={code} onChange={(e) => setCode(e.target.value)} aria-describedby="code-error" />
      {error && <p id="code-error" role="alert">{error}</p>}
      <button type="submit">Confirm</button>
    </form>
  );
}
