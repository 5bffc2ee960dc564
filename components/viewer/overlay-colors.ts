/**
 * Overlay colours, from the Okabe–Ito palette (components/charts/palette.ts): physician
 * structures in green/sky blue, machine structures in orange/reddish purple, FP vermillion,
 * FN blue; contours are outlines and FP/FN are filled, so colour is never the only cue.
 */
import { GROUP_COLORS } from '@/components/charts/palette';

export const OVERLAY_COLORS = {
  physicianGtv: GROUP_COLORS[2], // #009E73
  physicianItv: GROUP_COLORS[5], // #56B4E9
  machineGtv: GROUP_COLORS[4], // #E69F00
  machineItv: GROUP_COLORS[3], // #CC79A7
  fp: GROUP_COLORS[1], // #D55E00
  fn: GROUP_COLORS[0], // #0072B2
} as const;

export type OverlayKey = keyof typeof OVERLAY_COLORS;

export function hexToRgb(hex: string): [number, number, number] {
  const v = parseInt(hex.slice(1), 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}
