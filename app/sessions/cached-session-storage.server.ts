import type { Session } from "@shopify/shopify-api";
import type { SessionStorage } from "@shopify/shopify-app-session-storage";

/**
 * Keeps recently loaded sessions in memory for a few seconds. The Shopify library loads the
 * shop's offline session on every admin request and on the lifecycle and compliance webhooks
 * (the order webhooks and the app proxy check their signatures without it); a database read
 * per request would be their largest cost after the write itself. Writes and deletes through
 * this storage invalidate at once; `forgetShop` covers deletions made directly in the database.
 */
export class CachedSessionStorage implements SessionStorage {
  private readonly cache = new Map<
    string,
    { session: Session | undefined; expires: number }
  >();
  private readonly inner: SessionStorage;
  private readonly ttlMs: number;

  constructor(inner: SessionStorage, ttlMs = 5_000) {
    this.inner = inner;
    this.ttlMs = ttlMs;
  }

  async storeSession(session: Session): Promise<boolean> {
    this.cache.delete(session.id);
    return this.inner.storeSession(session);
  }

  async loadSession(id: string): Promise<Session | undefined> {
    const hit = this.cache.get(id);
    if (hit && hit.expires > Date.now()) return hit.session;
    const session = await this.inner.loadSession(id);
    this.cache.set(id, { session, expires: Date.now() + this.ttlMs });
    if (this.cache.size > 10_000)
      this.cache.delete(this.cache.keys().next().value!);
    return session;
  }

  async deleteSession(id: string): Promise<boolean> {
    this.cache.delete(id);
    return this.inner.deleteSession(id);
  }

  async deleteSessions(ids: string[]): Promise<boolean> {
    for (const id of ids) this.cache.delete(id);
    return this.inner.deleteSessions(ids);
  }

  findSessionsByShop(shop: string): Promise<Session[]> {
    return this.inner.findSessionsByShop(shop);
  }

  forgetShop(shop: string): void {
    for (const [id, entry] of this.cache) {
      if (id === `offline_${shop}` || entry.session?.shop === shop)
        this.cache.delete(id);
    }
  }
}
