/**
 * "Which position does dataset d hold in the current license's bundle?" without a Map per license:
 * two arrays indexed by dataset, stamped with a fresh mark per license. Loading a bundle is
 * O(bundle), a lookup O(1), and nothing is allocated per license (10,000 licenses × 100 datasets
 * would otherwise mean a million Map insertions every epoch).
 */
export class BundleStamp {
  private readonly owner: Int32Array;
  private readonly position: Int32Array;
  private mark = 0;

  constructor(datasetCount: number) {
    this.owner = new Int32Array(datasetCount);
    this.position = new Int32Array(datasetCount);
  }

  /**
   * Make `bundleDatasets` (dataset index per position) the current bundle.
   * @returns the position of the first dataset listed twice, or -1
   */
  load(bundleDatasets: Int32Array): number {
    const mark = ++this.mark;
    for (let i = 0; i < bundleDatasets.length; i++) {
      const d = bundleDatasets[i];
      if (this.owner[d] === mark) return i;
      this.owner[d] = mark;
      this.position[d] = i;
    }
    return -1;
  }

  /** Position of dataset index `d` in the current bundle, or -1 when it is not licensed. */
  positionOf(d: number | undefined): number {
    return d !== undefined && this.owner[d] === this.mark ? this.position[d] : -1;
  }
}
