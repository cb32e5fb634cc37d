import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Converts the GloVe vectors once (models/glove, git-ignored) so a fresh clone's `npm test` works.
    // Temporary files of the whole run under one folder, removed at the end (test/setup/tempRoot.ts).
    globalSetup: ["test/setup/glove.ts", "test/setup/tempRoot.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // llama.cpp and SQLite tests are CPU-heavy on 2-core machines: run files in forks, two at a time.
    pool: "forks",
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
  },
});
