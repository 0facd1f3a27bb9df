/**
 * A protobuf message codec: exactly the `encode`/`decode` pair ts-proto generates (`MessageFns<T>`),
 * so generated message constants are codecs as they are (`control.Assignment`).
 */
export interface Codec<T> {
  encode(message: T): { finish(): Uint8Array };
  decode(input: Uint8Array): T;
}
