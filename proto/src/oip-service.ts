/**
 * The OIP gRPC service definition and client every Fulcrum process uses: the generated ones, with
 * ModelInfer's serializers replaced by {@link encodeModelInferRequest} and
 * {@link encodeModelInferResponse}.
 *
 * Why: the generated serializer writes into a buffer that starts small and doubles, then slices it
 * (`finish()`), then copies it again (`Buffer.from`). For a 49 KiB image that is about 226 KiB
 * allocated and four copies per message; for a 588 KiB ResNet input, about 3 MiB. Every large
 * request pays it twice on its way to a stage: in the client and in the gateway, which re-encodes
 * what it forwards. The tensor bytes (`raw_*_contents`) are the last field of both messages, so
 * the rest can be encoded by the generated code and the tensors appended after it, into one buffer
 * of the exact size: one allocation, one copy, the same bytes.
 */
import { makeGenericClientConstructor, type ChannelCredentials, type ClientOptions } from "@grpc/grpc-js";
import {
  GRPCInferenceServiceService as Generated,
  ModelInferRequest,
  ModelInferResponse,
  type GRPCInferenceServiceClient as ClientType,
} from "./gen/inference/grpc_predict_v2.js";

/** Wire tag of `ModelInferRequest.raw_input_contents` (field 7, length-delimited). */
const RAW_INPUT_TAG = (7 << 3) | 2;
/** Wire tag of `ModelInferResponse.raw_output_contents` (field 6, length-delimited). */
const RAW_OUTPUT_TAG = (6 << 3) | 2;

function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    size++;
  }
  return size;
}

/** `head` followed by every entry of `raws` as a length-delimited field `tag`, in one exact-size buffer. */
function appendRepeatedBytes(head: Uint8Array, tag: number, raws: readonly Uint8Array[]): Buffer {
  let size = head.byteLength;
  for (const r of raws) size += 1 + varintSize(r.byteLength) + r.byteLength;
  const out = Buffer.allocUnsafe(size);
  out.set(head, 0);
  let pos = head.byteLength;
  for (const r of raws) {
    out[pos++] = tag;
    let n = r.byteLength;
    while (n >= 0x80) {
      out[pos++] = (n & 0x7f) | 0x80;
      n = Math.floor(n / 0x80);
    }
    out[pos++] = n;
    out.set(r, pos);
    pos += r.byteLength;
  }
  return out;
}

/** `ModelInferRequest.encode(msg).finish()`, byte for byte, with the tensor bytes copied once. */
export function encodeModelInferRequest(msg: ModelInferRequest): Buffer {
  const head = ModelInferRequest.encode(msg.rawInputContents.length > 0 ? { ...msg, rawInputContents: [] } : msg).finish();
  return appendRepeatedBytes(head, RAW_INPUT_TAG, msg.rawInputContents);
}

/** `ModelInferResponse.encode(msg).finish()`, byte for byte, with the tensor bytes copied once. */
export function encodeModelInferResponse(msg: ModelInferResponse): Buffer {
  const head = ModelInferResponse.encode(msg.rawOutputContents.length > 0 ? { ...msg, rawOutputContents: [] } : msg).finish();
  return appendRepeatedBytes(head, RAW_OUTPUT_TAG, msg.rawOutputContents);
}

/** `inference.GRPCInferenceService` with the one-copy ModelInfer serializers (servers: `addService`). */
export const GRPCInferenceServiceService = {
  ...Generated,
  modelInfer: { ...Generated.modelInfer, requestSerialize: encodeModelInferRequest, responseSerialize: encodeModelInferResponse },
} as const;

/** Client of {@link GRPCInferenceServiceService} (the generated client's API). */
export const GRPCInferenceServiceClient = makeGenericClientConstructor(GRPCInferenceServiceService, "inference.GRPCInferenceService") as unknown as {
  new (address: string, credentials: ChannelCredentials, options?: Partial<ClientOptions>): ClientType;
  service: typeof GRPCInferenceServiceService;
  serviceName: string;
};
/** Client of {@link GRPCInferenceServiceService}. */
export type GRPCInferenceServiceClient = ClientType;
