/**
 * Where an ExportLog request may write: only inside export_dir. A request names a file, or
 * a relative path below the folder; '..', absolute paths, control characters, folders that
 * do not exist and symbolic links that lead out of the folder are refused, each with the
 * reason. An existing file is never a target (exportLog also refuses it at the last moment).
 */
import { existsSync, lstatSync, mkdirSync, realpathSync } from "node:fs";
import { basename, dirname, isAbsolute, join, relative, sep } from "node:path";
import type { ExportFormat } from "./exportLog.js";
import type { Checked } from "./serviceRequests.js";

const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

const refuse = (message: string): Checked<string> => ({ ok: false, message });

/**
 * The file an export of `format` requested as `requested` writes, below `exportDir`
 * (created when missing: it is the operator's own folder; no folder below it is created).
 * '' names a new file action_log-<ISO time>.<format>.
 */
export function resolveExportPath(exportDir: string, requested: string, format: ExportFormat, nowMs: number): Checked<string> {
  if (CONTROL_CHARACTER.test(requested)) return refuse("the path holds a control character");
  if (isAbsolute(requested)) return refuse(`absolute paths are refused (${requested}); give a file name or a relative path below export_dir`);
  if (requested.split(/[\\/]/).includes("..")) return refuse(`'..' is not allowed in an export path (${requested}); exports stay inside export_dir`);
  const name = requested === "" ? `action_log-${new Date(nowMs).toISOString().replace(/[:.]/g, "-")}.${format}` : requested;
  let realDir: string;
  try {
    mkdirSync(exportDir, { recursive: true });
    realDir = realpathSync(exportDir);
  } catch (error) {
    return refuse(`export_dir ${exportDir} cannot be used: ${error instanceof Error ? error.message : String(error)}`);
  }
  const target = join(realDir, name);
  if (target === realDir) return refuse(`${requested} names export_dir itself; give a file name`);
  const folder = dirname(target);
  if (!existsSync(folder)) return refuse(`folder ${relative(realDir, folder)} does not exist in export_dir (exports create no folders)`);
  const realFolder = realpathSync(folder);
  if (realFolder !== realDir && !realFolder.startsWith(realDir + sep)) {
    return refuse(`${requested} leads outside export_dir through a symbolic link (to ${realFolder})`);
  }
  const file = join(realFolder, basename(target));
  if (pathExists(file)) return refuse(`${requested} already exists in export_dir; exports never overwrite a file`);
  return { ok: true, value: file };
}

/** Whether anything (a file, a folder, a symbolic link, even a dangling one) is at path. */
export function pathExists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
