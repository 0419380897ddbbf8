/**
 * Contracts of the near-duplicate stage (DESIGN §1.5): image batches, descriptors, vector sources,
 * nearest-neighbour results, review pairs and resolution outcomes.
 */
import type { ByteKernelFactory } from './kernel-check.ts';

/** Images of one common size, 8-bit RGB, interleaved (HWC), one after another. */
export interface ImageBatch {
  /** Number of images. */
  count: number;
  /** Width in pixels (every image). */
  width: number;
  /** Height in pixels (every image). */
  height: number;
  /** count × height × width × 3 bytes, RGB, rows top to bottom. */
  pixels: Uint8Array;
}

/** How descriptor vectors are compared. Both are computed as ‖q‖² + ‖r‖² − 2 q·r. */
export type VectorMetric = 'l2' | 'cosine';

/**
 * Turns images into fixed-length vectors. Implementations: raw pixels, standardized pixels, ONNX
 * features. All share `test/dedup/descriptor-conformance.test.ts`.
 */
export interface Descriptor {
  /** Stable name stored with neighbours and printed ('pixels@32', 'pixels-std@32', 'features:resnet56.onnx#/net/Flatten_output_0'). */
  readonly name: string;
  /** Distance between vectors: 'l2' = squared Euclidean; 'cosine' = 1 − cos (vectors are unit-normalised first). */
  readonly metric: VectorMetric;
  /** Vector length for images of `width` × `height`. */
  dimension(width: number, height: number): Promise<number>;
  /** Describes every image of the batch: count × dimension floats, row-major. */
  describe(images: ImageBatch): Promise<Float32Array>;
  /** Frees native resources (ONNX sessions). Safe to call twice. */
  close(): Promise<void>;
  /** Feature descriptors: how their model is fed (decides whether a published threshold applies). */
  input?(): Promise<DescriptorInput>;
}

/** How a feature descriptor's model sees an image. */
export interface DescriptorInput {
  /** Model input size in pixels (images are squashed to it). */
  width: number;
  /** Model input height in pixels. */
  height: number;
  /** Multiplier on the 0–255 values (1 = raw pixels, 1/255 = [0, 1]). */
  scale: number;
  /** Per-channel mean subtracted after scaling, or null for none. */
  mean: [number, number, number] | null;
  /** Per-channel std divided by, or null for none. */
  std: [number, number, number] | null;
  /** The sidecar says the graph normalises its input itself (so the effective input is unknown). */
  normalisedInsideGraph: boolean;
}

/** Vectors read in shards: from memory, or from a float32 file on disk for sets too large for memory. */
export interface VectorSource {
  /** Number of vectors. */
  readonly count: number;
  /** Floats per vector. */
  readonly dimension: number;
  /** Where a worker thread can read the vectors from without copying through the main thread. */
  readonly location: VectorLocation;
}

/** In memory (a SharedArrayBuffer every worker maps) or a raw little-endian float32 file, row-major. */
export type VectorLocation =
  | {
      /** The vectors are in memory. */
      kind: 'memory';
      /** The shared memory holding the vectors (count × dimension float32s from byteOffset). */
      buffer: SharedArrayBuffer;
      /** Byte offset of the first vector in the buffer (a multiple of 4). */
      byteOffset: number;
    }
  | {
      /** The vectors are in a file. */
      kind: 'file';
      /** Path of the raw little-endian float32 file. */
      path: string;
      /** Byte offset of the first vector in the file. */
      byteOffset: number;
    };

/** One neighbour of one query. */
export interface Neighbour {
  /** Which reference set (index into the `references` array given to the search). */
  set: number;
  /** 0-based index within that set. */
  index: number;
  /** Distance in the metric's units (squared L2 at the descriptor's scale; 1 − cos for cosine). */
  distance: number;
}

/** Tunables of exact search. Every field has a default. */
export interface KnnOptions {
  /** Neighbours kept per query. */
  k: number;
  /** Metric; default 'l2'. */
  metric?: VectorMetric;
  /** Worker threads (default: available cores, at most 8). 0 runs in the calling thread. */
  workers?: number;
  /** With `workers: 0`: intra-op threads of the calling thread's kernel (default 1). */
  threads?: number;
  /** References per shard (one GEMM's columns); default: at most 4,096, at least two shards per worker. */
  shardSize?: number;
  /** Queries per block (one GEMM's rows); default 1024. */
  queryBlock?: number;
  /**
   * The dot-product kernel. 'auto' (default): 'bytes' when every value is an integer 0…255 (raw
   * pixels at their own size, in memory), the metric is L2 and the vectors are short enough for
   * int32 accumulators (65,793 values for u8×s8, 33,025 for u8×u8), else 'onnx'. 'bytes': onnxruntime's integer GEMM in the
   * fastest formulation that passes the self-check on this CPU (u8×s8, else u8×u8, else float32 —
   * reported in `KnnResult.kernel`). 'onnx': onnxruntime's float32 SGEMM (MLAS) with a float64
   * re-rank. 'js': plain loops (slow; tests and comparison).
   */
  kernel?: 'auto' | 'bytes' | 'onnx' | 'js';
  /**
   * Creates the 8-bit kernels for the self-check (default: onnxruntime's), and with `workers: 0`
   * for the search itself; worker threads always run onnxruntime's kernel of the chosen
   * formulation. Tests inject a saturating kernel here to prove the fallback.
   */
  byteKernelFactory?: ByteKernelFactory;
  /**
   * Excludes self-matches: when query i and reference (set s, index i) are the same image. Give the
   * reference set indices that are the query set itself.
   */
  excludeSelfIn?: number[];
  /** Called after each finished shard with (done, total) reference vectors. */
  onProgress?: (done: number, total: number) => void;
}

/** Which dot-product kernel an exact search ran, and why not a faster one. */
export interface KernelReport {
  /**
   * 'int8-u8s8' / 'int8-u8u8': onnxruntime's integer GEMM (u8×s8 or u8×u8), exact integer scores;
   * 'float32': onnxruntime's SGEMM, candidates re-ranked in float64; 'js': plain loops.
   */
  name: 'int8-u8s8' | 'int8-u8u8' | 'float32' | 'js';
  /** Faster kernels passed over, in order, with the reason (failed self-check, vector too long, …). */
  skipped: {
    /** The kernel passed over (same names as `name`). */
    name: string;
    /** Why, in words. */
    reason: string;
  }[];
}

/** The k nearest neighbours of every query, closest first. */
export interface KnnResult {
  /** Neighbours per query (length = number of queries; each at most k long). */
  neighbours: Neighbour[][];
  /** Seconds spent, for benchmarks. */
  seconds: number;
  /** The kernel that computed the products. */
  kernel: KernelReport;
}

/** Review thresholds per metric name prefix; a pair is reviewed when its distance is ≤ the threshold. */
export interface ReviewThresholds {
  [metric: string]: number;
}

/** A (candidate, neighbour) pair waiting for, or having, a human decision. */
export interface ReviewPair {
  /** images.id of the candidate. */
  candidateId: string;
  /** 'workspace' or an external reference set's name. */
  neighbourSet: string;
  /** images.id or the external record index. */
  neighbourId: string;
  /** The neighbour's role: originals are 'reference'. */
  neighbourRole: 'candidate' | 'reference';
  /** Image files to show, relative to the workspace (null: not available). */
  candidatePath: string | null;
  /** The neighbour's image file, relative to the workspace (null: not available). */
  neighbourPath: string | null;
  /** Every metric under which the pair is closer than its threshold: metric → {distance, rank, threshold}. */
  metrics: {
    /** Metric name (descriptor name). */
    metric: string;
    /** Distance in the metric's own units. */
    distance: number;
    /** The neighbour's rank among the candidate's neighbours under this metric (0-based, closest first). */
    rank: number;
    /** The review threshold in force when the pair was searched. */
    threshold: number;
  }[];
  /** The decision in force, if any. */
  decision: 'duplicate' | 'not_duplicate' | null;
  /** Who made it and when (ISO time). */
  reviewer: string | null;
  /** ISO time of the decision in force (null: undecided). */
  decidedAt: string | null;
}

/** A node of the duplicate graph: a workspace image or an external original. */
export interface GraphNode {
  /** Unique key: 'workspace:<id>' or '<set>:<index>'. */
  key: string;
  /** Originals (references, external sets) make their whole component excluded. */
  role: 'candidate' | 'reference';
}

/** What resolution decided for one candidate. */
export interface Resolution {
  /** images.id */
  imageId: string;
  /** 'clear': kept; 'duplicate': excluded (its component touches an original, it is a content copy, or another member is kept); 'pending': an unreviewed close pair or a missing search remains (in it or its component). */
  status: 'clear' | 'duplicate' | 'pending';
  /** Why, in words. */
  reason: string;
  /** Key of the smallest member of its component (null when alone). */
  component: string | null;
}

/** One neighbour row as search writes it. */
export interface NeighbourRow {
  /** images.id of the candidate whose neighbour this is. */
  candidateId: string;
  /** 0-based, closest first. */
  rank: number;
  /** 'workspace' or an external reference set's name. */
  neighbourSet: string;
  /** images.id, or the record index in the external set. */
  neighbourId: string;
  /** The neighbour's role: originals are 'reference'. */
  neighbourRole: 'candidate' | 'reference';
  /** Image shown to reviewers, relative to the workspace (null: none saved). */
  neighbourPath: string | null;
  /** Distance in the metric's own units. */
  distance: number;
}

/** A stored neighbour closer than its metric's review threshold. */
export interface CloseNeighbour extends NeighbourRow {
  /** The metric that found it. */
  metric: string;
  /** The review threshold in force when it was searched. */
  threshold: number;
}

/** A human (or automatic) judgement of a pair; the latest one per pair is in force. */
export interface DecisionRecord {
  /** The pair in stored order (see `canonicalPair`): candidate, set, neighbour. */
  candidateId: string;
  /** 'workspace' or an external reference set's name. */
  neighbourSet: string;
  /** images.id, or the record index in the external set. */
  neighbourId: string;
  /** The judgement. */
  decision: 'duplicate' | 'not_duplicate';
  /** Who decided ('auto:…' for CIFAR-10.1's automatic removal). */
  reviewer: string;
  /** ISO time. */
  decidedAt: string;
}

/** A manual keeper of a candidates-only duplicate component (`retest dedup keep`). */
export interface KeeperEntry {
  /** The kept candidate. */
  imageId: string;
  /** Why. */
  reason: string;
  /** Who. */
  by: string;
  /** ISO time. */
  at: string;
}

/** The near-duplicate state of one image as resolution wrote it. */
export interface DedupStatusRow {
  /** images.id. */
  imageId: string;
  /** 'pending', 'clear' or 'duplicate'. */
  status: 'clear' | 'pending' | 'duplicate';
  /** Why, in words. */
  reason: string | null;
  /** Lowest image id of its duplicate component, if any. */
  component: string | null;
}

/**
 * The near-duplicate stage's own tables (neighbours, searches, decisions, keepers, status). Every
 * method is one read or one transaction; one SQL implementation (./sql-dedup-store.ts) runs on
 * SQLite and PostgreSQL.
 */
export interface DedupStore {
  /** 'sqlite' or 'postgres'. */
  readonly backend: 'sqlite' | 'postgres';
  /** Where the store is, for messages. */
  readonly location: string;
  /** Replaces `metric`'s neighbours of every candidate in `rows`, recording the threshold and time (one transaction). */
  replaceNeighbours(metric: string, threshold: number | null, rows: readonly NeighbourRow[], now: string): Promise<void>;
  /** Records that `metric` searched these candidates (whether or not it found neighbours). */
  recordSearched(metric: string, candidateIds: readonly string[], now: string): Promise<void>;
  /** Neighbours with rank < `top` closer than their threshold, ordered by candidate id then rank. */
  closeNeighbours(top: number): Promise<CloseNeighbour[]>;
  /** The distinct neighbours other metrics than dssim stored with rank < `top` (DSSIM's short lists), ordered by candidate, set, id. */
  shortLists(top: number): Promise<Omit<NeighbourRow, 'rank' | 'distance'>[]>;
  /** Whether some stored neighbour shows this image path (the review page serves only those). */
  isNeighbourPath(path: string): Promise<boolean>;
  /** Every (candidate, metric) pair searched. */
  searches(): Promise<{ candidateId: string; metric: string }[]>;
  /** Appends decisions (in stored pair order) in one transaction. */
  addDecisions(decisions: readonly DecisionRecord[]): Promise<void>;
  /** The decision in force per pair (the latest). */
  decisionsInForce(): Promise<DecisionRecord[]>;
  /** Manual keepers, ordered by image id. */
  keepers(): Promise<KeeperEntry[]>;
  /** Adds or re-reasons keepers (one transaction); returns the number written. */
  addKeepers(entries: readonly KeeperEntry[]): Promise<number>;
  /** Removes keepers; returns how many existed. */
  removeKeepers(imageIds: readonly string[]): Promise<number>;
  /** Writes the status of every image resolved (one transaction). */
  writeStatus(rows: readonly DedupStatusRow[], now: string): Promise<void>;
  /** The near-duplicate state per image with a status row (absent: never resolved). */
  statuses(): Promise<Map<string, 'clear' | 'pending' | 'duplicate'>>;
}

/** An image as near-duplicate resolution reads it from the catalog. */
export interface DedupImage {
  /** images.id */
  id: string;
  /** Collected candidate or original test image. */
  role: 'candidate' | 'reference';
  /** Class index it was ingested for. */
  classIdx: number;
  /** The first image with the same content, or null. */
  exactDuplicateOf: string | null;
  /** Source name ('flickr', 'folder', …). */
  source: string;
  /** Id within the source. */
  sourceId: string;
  /** The square copy shown on the review page, relative to the workspace. */
  squarePath: string;
}

/** What the near-duplicate stage reads from other stages; wired by the composition root. */
export interface DedupSources {
  /** Every image of the workspace (both roles). */
  images(): Promise<DedupImage[]>;
  /** Class id by index. */
  classIds(): Promise<Map<number, string>>;
  /** Selection frequency of each candidate for its own class (only candidates with answers). */
  ownClassFrequencies(): Promise<Map<string, number>>;
  /** Blacklisted image ids. */
  blacklist(): Promise<Set<string>>;
  /** Whether a square or display copy of some image has this path. */
  isImagePath(path: string): Promise<boolean>;
}

/** The near-duplicate stage's store with its sources: what search, review and resolution take. */
export interface DedupContext {
  /** Neighbours, decisions and statuses of the stage. */
  store: DedupStore;
  /** What it reads from the catalog and the labelling stage. */
  sources: DedupSources;
}
