export { loadTwitterTrace, TWITTER_TRACE_FILE } from "./twitter-trace.js";
