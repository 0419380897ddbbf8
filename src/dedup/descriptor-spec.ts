/**
 * Parses a descriptor name as given on the command line:
 * `pixels[@SIZE]`, `pixels-std[@SIZE]`, `features:MODEL.onnx#TENSOR[@cosine]`.
 * Without `@SIZE` pixel descriptors keep the images' own size (32² for CIFAR arrays, 256² for a
 * workspace's squashed copies).
 */
import { usageError } from '../core/errors.ts';
import { onnxFeaturesDescriptor } from './onnx-features.ts';
import { pixelsDescriptor, standardizedPixelsDescriptor } from './pixels-descriptor.ts';
import type { Descriptor } from './types.ts';

export const DESCRIPTOR_FORMS = ['pixels[@SIZE]', 'pixels-std[@SIZE]', 'features:MODEL.onnx#TENSOR[@cosine]'];

export function parseDescriptor(spec: string): Descriptor {
  const pixels = /^(pixels|pixels-std)(?:@(\d+))?$/.exec(spec);
  if (pixels) {
    const size = pixels[2] === undefined ? null : Number(pixels[2]);
    return pixels[1] === 'pixels' ? pixelsDescriptor({ size }) : standardizedPixelsDescriptor({ size });
  }
  const features = /^features:(.+?)#(.+?)(@cosine)?$/.exec(spec);
  if (features) {
    return onnxFeaturesDescriptor({ model: features[1] as string, tensor: features[2] as string, metric: features[3] ? 'cosine' : 'l2' });
  }
  throw usageError('unknown descriptor', {
    field: '--descriptor',
    received: JSON.stringify(spec),
    expected: DESCRIPTOR_FORMS.join(' | '),
    hint: 'e.g. --descriptor pixels-std or --descriptor features:resnet56.onnx#/net/Flatten_output_0',
  });
}
