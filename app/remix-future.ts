// Remix future flags, shared by the Vite build (vite.config.ts) and the test harness
// (test/support/remix-build.ts) so tests run the app exactly as it is built.
export const REMIX_FUTURE = {
  v3_fetcherPersist: true,
  v3_relativeSplatPath: true,
  v3_throwAbortReason: true,
  v3_lazyRouteDiscovery: true,
  v3_singleFetch: false,
  v3_routeConfig: false,
} as const;
