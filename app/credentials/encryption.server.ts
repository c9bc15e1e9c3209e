import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

// Format: "v1.<iv b64url>.<auth tag b64url>.<ciphertext b64url>". The version lets
// the key or algorithm change later without guessing what a stored value is.
const VERSION = "v1";
const IV_BYTES = 12;

export class EncryptionKeyError extends Error {}

export function decodeEncryptionKey(value: string): Buffer {
  const key = Buffer.from(value, "base64");
  if (key.length !== 32) {
    throw new EncryptionKeyError(
      `ENCRYPTION_KEY must be 32 bytes encoded as base64 (got ${key.length} bytes).`,
    );
  }
  return key;
}

export function generateEncryptionKey(): string {
  return randomBytes(32).toString("base64");
}

/** AES-256-GCM; `context` (the shop) is bound as associated data so a ciphertext cannot be moved to another shop. */
export function encryptSecret(
  plaintext: string,
  key: Buffer,
  context: string,
): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(Buffer.from(context, "utf8"));
  const ciphertext = Buffer.concat([
    cipher.update(plaintext, "utf8"),
    cipher.final(),
  ]);
  const tag = cipher.getAuthTag();
  return [VERSION, iv, tag, ciphertext]
    .map((part) =>
      typeof part === "string" ? part : part.toString("base64url"),
    )
    .join(".");
}

export function decryptSecret(
  stored: string,
  key: Buffer,
  context: string,
): string {
  const [version, iv, tag, ciphertext] = stored.split(".");
  if (version !== VERSION || !iv || !tag || ciphertext === undefined) {
    throw new Error("Stored secret has an unknown format.");
  }
  const decipher = createDecipheriv(
    "aes-256-gcm",
    key,
    Buffer.from(iv, "base64url"),
  );
  decipher.setAAD(Buffer.from(context, "utf8"));
  decipher.setAuthTag(Buffer.from(tag, "base64url"));
  // A wrong key or a tampered value throws here; callers report "token unreadable".
  return Buffer.concat([
    decipher.update(Buffer.from(ciphertext, "base64url")),
    decipher.final(),
  ]).toString("utf8");
}
