import { createContext, useContext, type ReactNode } from 'react';

/**
 * Who is signed in, as the service says (GET /v1/whoami), so that the dashboard shows only what this token's role
 * may do. The service checks every request anyway: this keeps a viewer from meeting buttons that would be refused.
 */
export type Role = 'viewer' | 'operator' | 'admin';

export interface Identity {
  name: string;
  role: Role;
}

const RANK: Record<Role, number> = { viewer: 1, operator: 2, admin: 3 };

export const IdentityContext = createContext<Identity | null>(null);

export function useIdentity(): Identity {
  const identity = useContext(IdentityContext);
  if (identity === null) throw new Error('useIdentity needs a signed-in <IdentityContext.Provider>');
  return identity;
}

/** Whether the signed-in token may do what `need` allows. */
export function useCan(need: Role): boolean {
  return RANK[useIdentity().role] >= RANK[need];
}

/** Its children only for a token whose role allows `need`. */
export function Can({ need, children }: { need: Role; children: ReactNode }) {
  return useCan(need) ? <>{children}</> : null;
}

/** In place of a page the token may not use (reached by a link from elsewhere, or typed). */
export function NotAllowed({ need, what }: { need: Role; what: string }) {
  const { name, role } = useIdentity();
  return (
    <section>
      <h1 tabIndex={-1}>Not available to this token</h1>
      <p>
        You are signed in as <strong>{name}</strong>, a {role}. {what} needs an {need} token: ask an admin for one, then
        sign in with it.
      </p>
    </section>
  );
}
