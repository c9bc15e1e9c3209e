-- Since when a pixel (its current code, switched on) gets events, set when it is turned back on
-- or given another code. Null for every existing pixel: since it was created.
ALTER TABLE "Pixel" ADD COLUMN "sendingSince" DATETIME;
