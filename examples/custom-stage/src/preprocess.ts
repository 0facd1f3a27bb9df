/**
 * The work this stage does: turn a batch of 8-bit images of any size (HWC, grayscale or RGB) into
 * the FP32 tensor the fashion classifier takes, `[N, 1, S, S]` with pixels in [0, 1] (the
 * classifier normalises further inside its graph). Pure functions, no I/O.
 */

/** ITU-R BT.601 luma weights (R, G, B), the usual RGB → grayscale conversion. */
const LUMA = [0.299, 0.587, 0.114] as const;

/** One image: `height × width × channels` bytes, row-major, channels last. */
export interface Image {
  readonly data: Uint8Array;
  readonly height: number;
  readonly width: number;
  readonly channels: 1 | 3;
}

/** Grayscale plane of an image, values 0..255 as floats. */
export function toGray(img: Image): Float32Array {
  const n = img.height * img.width;
  const out = new Float32Array(n);
  if (img.channels === 1) {
    for (let i = 0; i < n; i++) out[i] = img.data[i]!;
    return out;
  }
  for (let i = 0, j = 0; i < n; i++, j += 3) out[i] = LUMA[0] * img.data[j]! + LUMA[1] * img.data[j + 1]! + LUMA[2] * img.data[j + 2]!;
  return out;
}

/**
 * Bilinear resize of a `h × w` plane to `oh × ow` with half-pixel centres (the convention of
 * OpenCV's INTER_LINEAR and ONNX Resize `half_pixel`): output pixel (y, x) samples the source at
 * ((y + 0.5)·h/oh − 0.5, (x + 0.5)·w/ow − 0.5), clamped to the image.
 */
export function resizeBilinear(src: Float32Array, h: number, w: number, oh: number, ow: number, out = new Float32Array(oh * ow)): Float32Array {
  const sy = h / oh;
  const sx = w / ow;
  for (let y = 0; y < oh; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), h - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, h - 1);
    const dy = fy - y0;
    for (let x = 0; x < ow; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), w - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, w - 1);
      const dx = fx - x0;
      const top = src[y0 * w + x0]! * (1 - dx) + src[y0 * w + x1]! * dx;
      const bottom = src[y1 * w + x0]! * (1 - dx) + src[y1 * w + x1]! * dx;
      out[y * ow + x] = top * (1 - dy) + bottom * dy;
    }
  }
  return out;
}

/**
 * A batch `[n, h, w, channels]` of UINT8 pixels → `[n, 1, size, size]` FP32 in [0, 1]: grayscale,
 * bilinear resize, divide by 255. Gray first, since both steps are linear and gray is 1/3 the data.
 */
export function preprocessBatch(pixels: Uint8Array, n: number, h: number, w: number, channels: 1 | 3, size: number): Float32Array {
  const out = new Float32Array(n * size * size);
  const per = h * w * channels;
  for (let i = 0; i < n; i++) {
    const gray = toGray({ data: pixels.subarray(i * per, (i + 1) * per), height: h, width: w, channels });
    const plane = out.subarray(i * size * size, (i + 1) * size * size);
    resizeBilinear(gray, h, w, size, size, plane);
    for (let k = 0; k < plane.length; k++) plane[k] = plane[k]! / 255;
  }
  return out;
}
