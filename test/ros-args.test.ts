import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadParamsFile, parseRosArguments, paramsKeyMatches, RosArgumentError, withoutParameterArguments } from "../src/ros/rosArgs.js";

describe("parseRosArguments", () => {
  it("reads node name, namespace, remaps, parameters, params files and log level", () => {
    const parsed = parseRosArguments([
      "--graph", "in-process",
      "--ros-args", "-r", "__node:=talker", "-r", "__ns:=/robot1", "-r", "chatter:=/talk",
      "-p", "persona.warmth:=0.9", "-p", "enabled:=true", "-p", "names:=[a, b]", "-p", "label:=hello",
      "--params-file", "/tmp/p.yaml", "--log-level", "debug", "--", "rest",
    ]);
    expect(parsed.programArgs).toEqual(["--graph", "in-process", "rest"]);
    expect(parsed.nodeName).toBe("talker");
    expect(parsed.namespace).toBe("/robot1");
    expect(parsed.remappings).toEqual({ chatter: "/talk" });
    expect(parsed.parameters).toEqual({ "persona.warmth": 0.9, enabled: true, names: ["a", "b"], label: "hello" });
    expect(parsed.paramsFiles).toEqual(["/tmp/p.yaml"]);
    expect(parsed.logLevel).toBe("debug");
  });

  it("scopes `-p node:param:=value` to that node", () => {
    const parsed = parseRosArguments(["--ros-args", "-p", "dialogue:seed:=3", "-p", "/memory:seed:=7", "-p", "seed:=1"]);
    expect(parsed.parameters).toEqual({ seed: 1 });
    expect(parsed.nodeParameters).toEqual({ dialogue: { seed: 3 }, memory: { seed: 7 } });
  });

  it("accepts rcl's logging and enclave arguments (launch_ros and users pass them) and leaves them to rcl", () => {
    const parsed = parseRosArguments([
      "--ros-args", "--log-config-file", "/etc/ros/log.conf", "--log-file-name", "assistant", "--enable-external-lib-logs",
      "--disable-rosout-logs", "-e", "/enclave", "--log-level", "warn",
    ]);
    expect(parsed.logLevel).toBe("warn");
    expect(parsed.programArgs).toEqual([]);
    expect(() => parseRosArguments(["--ros-args", "--log-config-file"])).toThrow(/--log-config-file needs a value/);
  });

  it("hands rcl the command line without -p and --params-file, inside --ros-args spans only", () => {
    expect(withoutParameterArguments([
      "--ros-args", "-r", "__ns:=/r1", "-p", "seed:=1", "--params-file", "/p.yaml", "--param", "a:=2", "--log-level", "debug", "--", "-p", "mine",
    ])).toEqual(["--ros-args", "-r", "__ns:=/r1", "--log-level", "debug", "--", "-p", "mine"]);
  });

  it("rejects malformed ROS arguments with a specific message", () => {
    expect(() => parseRosArguments(["--ros-args", "-p", "warmth=0.9"])).toThrow(RosArgumentError);
    expect(() => parseRosArguments(["--ros-args", "-p", "warmth=0.9"])).toThrow(/expected name:=value/);
    expect(() => parseRosArguments(["--ros-args", "--bogus"])).toThrow(/unknown ROS argument --bogus/);
    expect(() => parseRosArguments(["--ros-args", "--params-file"])).toThrow(/needs a file path/);
  });
});

describe("params files", () => {
  it("matches node keys like rcl, including wildcards", () => {
    expect(paramsKeyMatches("/**", "memory", "/")).toBe(true);
    expect(paramsKeyMatches("/**/memory", "memory", "/robot1")).toBe(true);
    expect(paramsKeyMatches("/**/memory", "dialogue", "/robot1")).toBe(false);
    expect(paramsKeyMatches("memory", "memory", "/")).toBe(true);
    expect(paramsKeyMatches("/robot1/memory", "memory", "/robot1")).toBe(true);
    expect(paramsKeyMatches("/robot2/memory", "memory", "/robot1")).toBe(false);
    expect(paramsKeyMatches("/*/memory", "memory", "/robot1")).toBe(true);
  });

  it("flattens nested parameters for the matching node only", () => {
    const dir = mkdtempSync(join(tmpdir(), "params-"));
    const file = join(dir, "p.yaml");
    writeFileSync(file, `/**/dialogue:\n  ros__parameters:\n    persona:\n      warmth: 0.8\n    max_tokens: 40\n/**/memory:\n  ros__parameters:\n    k: 5\n`);
    expect(loadParamsFile(file, "dialogue", "/robot1")).toEqual({ "persona.warmth": 0.8, max_tokens: 40 });
    expect(loadParamsFile(file, "memory", "/")).toEqual({ k: 5 });
  });

  it("a node's own section beats /**\/node, which beats /**, whatever their order in the file", () => {
    const dir = mkdtempSync(join(tmpdir(), "params-"));
    const file = join(dir, "p.yaml");
    writeFileSync(file, [
      "/dialogue:", "  ros__parameters:", "    seed: 1",
      "/**/dialogue:", "  ros__parameters:", "    seed: 2", "    max_tokens: 30",
      "/**:", "  ros__parameters:", "    seed: 3", "    max_tokens: 40", "    model_path: /wide.gguf",
    ].join("\n"));
    expect(loadParamsFile(file, "dialogue", "/")).toEqual({ seed: 1, max_tokens: 30, model_path: "/wide.gguf" });
  });

  it("skips values the port has no type for (bool arrays, null, empty lists) instead of refusing the file", () => {
    const dir = mkdtempSync(join(tmpdir(), "params-"));
    const file = join(dir, "p.yaml");
    writeFileSync(file, "/**:\n  ros__parameters:\n    flags: [true, false]\n    unset: null\n    none: []\n    ids: [1, 2]\n    seed: 4\n");
    expect(loadParamsFile(file, "dialogue", "/")).toEqual({ ids: [1, 2], seed: 4 });
  });

  it("names the file when it is corrupt", () => {
    const dir = mkdtempSync(join(tmpdir(), "params-"));
    const file = join(dir, "bad.yaml");
    writeFileSync(file, "dialogue: [unclosed\n");
    expect(() => loadParamsFile(file, "dialogue", "/")).toThrow(new RegExp(`cannot read params file ${file.replace(/[/.]/g, "\\$&")}`));
    writeFileSync(file, "dialogue:\n  warmth: 1\n");
    expect(() => loadParamsFile(file, "dialogue", "/")).toThrow(/has no ros__parameters/);
  });
});
