export type { GatewayWindow } from "./gateway-window.js";
