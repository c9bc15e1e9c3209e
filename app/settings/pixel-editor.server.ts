// Adding or editing one of the shop's pixels (route app.settings_.pixels.$id, "new" to add).
// Every read and write is scoped to the session's shop: another shop's pixel id is not found.
import {
  createPixel,
  loadShopPixels,
  MAX_PIXELS,
  updatePixel,
} from "~/pixels/pixels.server";
import {
  DEFAULT_PIXEL_NAME,
  parsePixelForm,
  type FieldErrors,
} from "./settings-form";
import { toPixelView, type PixelView } from "./settings.server";
import { afterPixelChange, type Admin } from "./pixel-changes.server";

/** The id in the URL that means "add a pixel". */
export const NEW_PIXEL = "new";

export const TOO_MANY_PIXELS = `A shop can send to at most ${MAX_PIXELS} pixels. Remove one in Settings before adding another.`;

export interface PixelEditorData {
  pixel: PixelView;
  isNew: boolean;
  /** Set when a new pixel cannot be added: the shop already has MAX_PIXELS. */
  limitReached: string | null;
}

/** null: no such pixel in this shop (the route answers 404). */
export async function loadPixelEditor(
  shop: string,
  id: string,
): Promise<PixelEditorData | null> {
  const { pixels } = await loadShopPixels(shop);
  if (id === NEW_PIXEL)
    return {
      // A second pixel gets a name of its own until the merchant gives it one.
      pixel: {
        ...toPixelView(null),
        name: pixels.length
          ? `${DEFAULT_PIXEL_NAME} ${pixels.length + 1}`
          : DEFAULT_PIXEL_NAME,
      },
      isNew: true,
      limitReached: pixels.length >= MAX_PIXELS ? TOO_MANY_PIXELS : null,
    };
  const row = pixels.find((p) => p.id === id);
  return row
    ? { pixel: toPixelView(row), isNew: false, limitReached: null }
    : null;
}

export interface PixelSaveResult {
  ok: boolean;
  status: number;
  pixel?: PixelView;
  errors?: FieldErrors;
  message?: string;
  warning?: string;
}

const NOT_FOUND: PixelSaveResult = {
  ok: false,
  status: 404,
  message: "No such pixel in this shop.",
};

export async function savePixel(
  shop: string,
  admin: Admin,
  id: string,
  form: FormData,
): Promise<PixelSaveResult> {
  const before = await loadShopPixels(shop);
  const isNew = id === NEW_PIXEL;
  const existing = isNew ? null : before.pixels.find((p) => p.id === id);
  if (!isNew && !existing) return NOT_FOUND;
  // Checked again by createPixel, inside the transaction that inserts; this early answer
  // spares the merchant field errors on a form that cannot be saved anyway.
  if (isNew && before.pixels.length >= MAX_PIXELS)
    return refused({ pixels: TOO_MANY_PIXELS }, TOO_MANY_PIXELS);

  const parsed = parsePixelForm(form, Boolean(existing?.accessTokenCiphertext));
  if (!parsed.ok) return refused(parsed.errors);
  const saved = existing
    ? await updatePixel(shop, existing.id, parsed.value)
    : await createPixel(shop, parsed.value);
  if (!saved.ok) {
    if (saved.field === "id") return NOT_FOUND;
    if (saved.field === "pixels")
      return refused({ pixels: TOO_MANY_PIXELS }, TOO_MANY_PIXELS);
    return refused({ [saved.field]: saved.message });
  }
  const { warning } = await afterPixelChange(shop, admin, before);
  return {
    ok: true,
    status: isNew ? 201 : 200,
    pixel: toPixelView(saved.pixel),
    warning,
  };
}

function refused(errors: FieldErrors, message?: string): PixelSaveResult {
  return { ok: false, status: 422, errors, message };
}
