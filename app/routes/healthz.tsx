// Liveness: answers while the process can serve requests; touches nothing else (no database).
export const loader = () =>
  new Response("ok", {
    status: 200,
    headers: {
      "Content-Type": "text/plain; charset=utf-8",
      "Cache-Control": "no-store",
    },
  });
