import type { ClassDef } from './types.ts';

/** CIFAR-10's names in label order (batches.meta.txt). */
export const CIFAR10_NAMES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'] as const;

/** Definitions as in Krizhevsky's description of the classes. */
const DEFINITIONS: Record<(typeof CIFAR10_NAMES)[number], string> = {
  airplane: 'an aircraft with fixed wings (not a helicopter, balloon or kite)',
  automobile: 'a car: sedans, SUVs and similar (not trucks or pickup trucks)',
  bird: 'a bird of any kind (not a plane)',
  cat: 'a domestic cat (not a big cat)',
  deer: 'a deer, elk or similar animal',
  dog: 'a dog of any breed',
  frog: 'a frog or toad',
  horse: 'a horse or pony',
  ship: 'a ship or boat on water',
  truck: 'a big truck (not a pickup truck)',
};

/**
 * Most similar other classes, for hard negative controls: the natural confusions (vehicles with
 * vehicles, animals with animals), most similar first.
 */
const SIMILAR: Record<(typeof CIFAR10_NAMES)[number], string[]> = {
  airplane: ['ship', 'bird', 'automobile', 'truck'],
  automobile: ['truck', 'ship', 'airplane'],
  bird: ['airplane', 'frog', 'deer', 'cat', 'dog'],
  cat: ['dog', 'deer', 'frog', 'horse', 'bird'],
  deer: ['horse', 'dog', 'cat', 'frog', 'bird'],
  dog: ['cat', 'horse', 'deer', 'frog', 'bird'],
  frog: ['cat', 'bird', 'deer', 'dog'],
  horse: ['deer', 'dog', 'cat'],
  ship: ['airplane', 'automobile', 'truck'],
  truck: ['automobile', 'ship', 'airplane'],
};

/** The 10 CIFAR-10 classes. */
export function cifar10Classes(): ClassDef[] {
  return CIFAR10_NAMES.map((name, index) => ({
    index,
    id: name,
    names: [name],
    definition: DEFINITIONS[name],
    urls: [],
    hypernyms: [],
    similar: SIMILAR[name],
  }));
}
