// The demo server mints Shopify session tokens for anyone who can reach it. That is only
// acceptable on a developer's machine, so every entry point checks this first.

export class DemoNotAllowedError extends Error {}

/** Hosts the demo server may bind to: loopback only, never a LAN or public interface. */
export const DEMO_HOST = "127.0.0.1";

/**
 * Throws unless demo mode is explicitly on and this is not a production process.
 * Checked before anything listens or loads the app.
 */
export function assertDemoAllowed(env: NodeJS.ProcessEnv = process.env): void {
  if (env.NODE_ENV === "production") {
    throw new DemoNotAllowedError(
      "The demo server refuses to run with NODE_ENV=production.",
    );
  }
  if (env.DEMO_MODE !== "1") {
    throw new DemoNotAllowedError(
      "The demo server only runs with DEMO_MODE=1 (use `npm run demo`).",
    );
  }
}

/** True for 127.0.0.0/8, ::1 and IPv4-mapped loopback, as reported by socket.remoteAddress. */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith("::ffff:") ? address.slice(7) : address;
  return v4 === "::1" || /^127(\.\d{1,3}){3}$/.test(v4);
}
