// Puts the canned-answer fakes (fakes/canned/) on a harness project's PATH, in front of the stage fakes.
import { existsSync, rmSync, symlinkSync } from 'node:fs'
import path from 'node:path'
import type { Project } from './harness.ts'

const canned = path.join(import.meta.dirname, 'fakes', 'canned')
export const fixture = (...p: string[]): string => path.join(import.meta.dirname, 'fixtures', ...p)

export type Answer = { match: string; stdout?: string; file?: string; stderr?: string; code?: number; sleepMs?: number }

/** Replace the project's fake tools with the canned ones (which fall back to the stage fakes). */
export function useCanned(p: Project, tools: readonly string[]): void {
  const bin = path.join(p.dir, 'bin')
  for (const t of tools) {
    const link = path.join(bin, t)
    if (existsSync(link)) rmSync(link)
    symlinkSync(path.join(canned, t), link)
  }
}

/** Escape text for use inside an answer's regex. */
export const re = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
