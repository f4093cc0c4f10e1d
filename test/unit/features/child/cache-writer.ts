// Child process for the concurrent-writer test: put the same features under the same key, many times.
import { FeatureCache } from "../../../../trainer-image/src/features/cache/feature-cache.ts";
import { sampleFeatures } from "./sample-features.ts";

const [root, key, times] = process.argv.slice(2);
const cache = new FeatureCache(root!);
const value = sampleFeatures(36, 2048);
for (let i = 0; i < Number(times); i++) await cache.put(key!, value);
