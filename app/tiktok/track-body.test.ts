import { describe, expect, it } from "vitest";
import { fullPurchase } from "./__fixtures__/purchase";
import { validateTrackBody } from "./event-validation";
import { buildTrackBody, PARTNER_NAME } from "./track-body";

describe("buildTrackBody", () => {
  it("puts test_event_code only at the top level, only when set, with no legacy fields", () => {
    const event = fullPurchase();
    const body = buildTrackBody({
      pixelCode: "C4ABCDEF123",
      testEventCode: "TEST12345",
      events: [event],
    });
    expect(Object.keys(body)).toEqual([
      "event_source",
      "event_source_id",
      "partner_name",
      "test_event_code",
      "data",
    ]);
    expect(body).toMatchObject({
      event_source: "web",
      event_source_id: "C4ABCDEF123",
      partner_name: PARTNER_NAME,
      test_event_code: "TEST12345",
    });
    const json = JSON.stringify(body);
    expect(json.match(/test_event_code/g)).toHaveLength(1);
    for (const legacy of [
      '"pixel_code"',
      '"timestamp"',
      '"context"',
      '"phone_number"',
    ]) {
      expect(json).not.toContain(legacy);
    }
    expect(validateTrackBody(body)).toEqual([]);

    const live = buildTrackBody({
      pixelCode: "C4ABCDEF123",
      testEventCode: "",
      events: [event],
      partnerName: null,
    });
    expect(Object.keys(live)).toEqual([
      "event_source",
      "event_source_id",
      "data",
    ]);
  });

  it("trims the pixel code and keeps a custom partner name; the events go into data unchanged", () => {
    const event = fullPurchase();
    const body = buildTrackBody({
      pixelCode: " C4PIXEL ",
      events: [event],
      partnerName: " Other ",
      testEventCode: " ",
    });
    expect(body).toEqual({
      event_source: "web",
      event_source_id: "C4PIXEL",
      partner_name: "Other",
      data: [event],
    });
    expect(body.data[0]).toBe(event);
  });
});
