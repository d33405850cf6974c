/*
 * The two guest architectures and their fixed facts (DESIGN §5, QEMU-compatible layouts).
 */
export type Arch = 'x86_64' | 'arm64';
export const ARCHES: readonly Arch[] = ['x86_64', 'arm64'];

export interface ArchLayout {
  /** Guest-physical base of guest RAM. */
  readonly ramBase: number;
  /** Where raw binaries and assembly sources are loaded unless --load says otherwise. */
  readonly defaultLoad: number;
}

export const LAYOUT: Record<Arch, ArchLayout> = {
  // x86-64: RAM from guest-physical 0; code at 1 MiB, clear of the legacy low area.
  x86_64: { ramBase: 0x0, defaultLoad: 0x10_0000 },
  // arm64: QEMU `virt` RAM from 0x4000_0000; kernels load at +0x8_0000.
  arm64: { ramBase: 0x4000_0000, defaultLoad: 0x4008_0000 },
};

export const DEFAULT_GUEST_MEM = 16 * 1024 * 1024;
