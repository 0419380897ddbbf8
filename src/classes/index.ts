export type { ClassDef, ClassRow, ClassSetName } from './types.ts';
export { cifar10Classes, CIFAR10_NAMES } from './cifar10.ts';
export { imagenetClasses, IMAGENET_CLASSES_FILE } from './imagenet.ts';
export { parseCustomClasses, readCustomClasses } from './custom.ts';
export { loadClasses, toClassRow, findClass } from './load.ts';
