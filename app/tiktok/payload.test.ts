import { describe, expect, it } from "vitest";
import * as builder from "./event-builder";
import * as validation from "./event-validation";
import * as matchKeys from "./match-keys";
import * as payload from "./payload";
import * as trackBody from "./track-body";

// payload.ts is the module the rest of the app imports; it must hand out the real implementations.
describe("payload entry point", () => {
  it("re-exports the builder, envelope, validation and match-key functions unchanged", () => {
    expect(payload.buildEvent).toBe(builder.buildEvent);
    expect(payload.buildTrackBody).toBe(trackBody.buildTrackBody);
    expect(payload.PARTNER_NAME).toBe(trackBody.PARTNER_NAME);
    expect(payload.MAX_EVENTS_PER_REQUEST).toBe(1000);
    expect(payload.validateEvent).toBe(validation.validateEvent);
    expect(payload.validateTrackBody).toBe(validation.validateTrackBody);
    expect(payload.matchKeysOf).toBe(matchKeys.matchKeysOf);
  });
});
