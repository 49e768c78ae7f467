// The in-memory limiter alone: the package's index also loads its cluster and database
// limiters, which need Node modules that Workers lack.
declare module "rate-limiter-flexible/lib/RateLimiterMemory.js" {
  import { RateLimiterMemory } from "rate-limiter-flexible";
  export default RateLimiterMemory;
}
