// Which pixel a delivery went to, in the merchant's words: the admin views name a pixel by the
// name given on the settings page, and a pixel removed since by its code (its deliveries stay in
// the log until retention removes them). Pure and browser-safe.

export interface PixelChoice {
  code: string;
  /** The pixel's name; its code once the pixel was removed. */
  name: string;
  removed: boolean;
  /**
   * What lists and filters show: the name, with the code after it when two pixels share a name
   * (every pixel starts as "TikTok pixel"), and "(removed)" after a removed pixel's code.
   */
  label: string;
}

/**
 * The shop's pixels (oldest first, as the settings page lists them), then the codes found in the
 * log that no current pixel has, as removed pixels in code order. A code appears once.
 */
export function pixelChoices(
  current: readonly { pixelCode: string; name: string }[],
  loggedCodes: readonly string[],
): PixelChoice[] {
  const choices: PixelChoice[] = [];
  const seen = new Set<string>();
  for (const pixel of current) {
    if (seen.has(pixel.pixelCode)) continue;
    seen.add(pixel.pixelCode);
    choices.push({
      code: pixel.pixelCode,
      name: pixel.name,
      removed: false,
      label: pixel.name,
    });
  }
  for (const code of [...loggedCodes].sort()) {
    if (seen.has(code)) continue;
    seen.add(code);
    choices.push({
      code,
      name: code,
      removed: true,
      label: `${code} (removed)`,
    });
  }
  const named = new Map<string, number>();
  for (const c of choices) named.set(c.name, (named.get(c.name) ?? 0) + 1);
  return choices.map((c) =>
    !c.removed && named.get(c.name)! > 1
      ? { ...c, label: `${c.name} (${c.code})` }
      : c,
  );
}

/** The label to show for a delivery's pixel code; a code no choice knows shows as itself. */
export function pixelLabeler(
  choices: readonly PixelChoice[],
): (code: string) => string {
  const labels = new Map(choices.map((c) => [c.code, c.label]));
  return (code) => labels.get(code) ?? code;
}
