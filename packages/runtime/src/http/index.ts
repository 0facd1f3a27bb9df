export type { ListeningServer } from "./listen.js";
export { listenHttp } from "./listen.js";
