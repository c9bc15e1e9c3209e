import { afterAll, beforeAll, describe } from "vitest";
import { createTestApp, type TestApp } from "../support/test-app";
import { defineAdapterTransactionTests } from "../support/adapter-sql";

let app: TestApp;

beforeAll(async () => {
  app = await createTestApp();
});

afterAll(async () => {
  await app.close();
});

describe("raw transactions on the libSQL adapter", () => {
  defineAdapterTransactionTests(() => app.prisma);
});
