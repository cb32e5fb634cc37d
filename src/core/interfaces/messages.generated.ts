// GENERATED from msg/, srv/ and third_party/ros_interfaces by `npm run gen:interfaces`.
// Do not edit: change the .msg/.srv files and regenerate. test/interfaces.test.ts fails when this file is stale.
import { z } from "zod";

/** builtin_interfaces/msg/Duration */
export const BuiltinInterfacesDurationSchema = z.strictObject({
  sec: z.number().int().min(-2147483648).max(2147483647),
  nanosec: z.number().int().min(0).max(4294967295),
});
export type BuiltinInterfacesDuration = z.infer<typeof BuiltinInterfacesDurationSchema>;
export function createBuiltinInterfacesDuration(): BuiltinInterfacesDuration {
  return {
    sec: 0,
    nanosec: 0,
  };
}

/** builtin_interfaces/msg/Time */
export const BuiltinInterfacesTimeSchema = z.strictObject({
  sec: z.number().int().min(-2147483648).max(2147483647),
  nanosec: z.number().int().min(0).max(4294967295),
});
export type BuiltinInterfacesTime = z.infer<typeof BuiltinInterfacesTimeSchema>;
export function createBuiltinInterfacesTime(): BuiltinInterfacesTime {
  return {
    sec: 0,
    nanosec: 0,
  };
}

/** std_msgs/msg/Header */
export const StdMsgsHeaderSchema = z.strictObject({
  stamp: BuiltinInterfacesTimeSchema,
  frame_id: z.string(),
});
export type StdMsgsHeader = z.infer<typeof StdMsgsHeaderSchema>;
export function createStdMsgsHeader(): StdMsgsHeader {
  return {
    stamp: createBuiltinInterfacesTime(),
    frame_id: "",
  };
}

/** diagnostic_msgs/msg/KeyValue */
export const DiagnosticMsgsKeyValueSchema = z.strictObject({
  key: z.string(),
  value: z.string(),
});
export type DiagnosticMsgsKeyValue = z.infer<typeof DiagnosticMsgsKeyValueSchema>;
export function createDiagnosticMsgsKeyValue(): DiagnosticMsgsKeyValue {
  return {
    key: "",
    value: "",
  };
}

/** diagnostic_msgs/msg/DiagnosticStatus */
export const DiagnosticMsgsDiagnosticStatusSchema = z.strictObject({
  level: z.number().int().min(0).max(255),
  name: z.string(),
  message: z.string(),
  hardware_id: z.string(),
  values: z.array(DiagnosticMsgsKeyValueSchema),
});
export type DiagnosticMsgsDiagnosticStatus = z.infer<typeof DiagnosticMsgsDiagnosticStatusSchema>;
export function createDiagnosticMsgsDiagnosticStatus(): DiagnosticMsgsDiagnosticStatus {
  return {
    level: 0,
    name: "",
    message: "",
    hardware_id: "",
    values: [],
  };
}
export const DiagnosticMsgsDiagnosticStatusConstants = {
  OK: 0,
  WARN: 1,
  ERROR: 2,
  STALE: 3,
} as const;

/** diagnostic_msgs/msg/DiagnosticArray */
export const DiagnosticMsgsDiagnosticArraySchema = z.strictObject({
  header: StdMsgsHeaderSchema,
  status: z.array(DiagnosticMsgsDiagnosticStatusSchema),
});
export type DiagnosticMsgsDiagnosticArray = z.infer<typeof DiagnosticMsgsDiagnosticArraySchema>;
export function createDiagnosticMsgsDiagnosticArray(): DiagnosticMsgsDiagnosticArray {
  return {
    header: createStdMsgsHeader(),
    status: [],
  };
}

/** sensor_msgs/msg/BatteryState */
export const SensorMsgsBatteryStateSchema = z.strictObject({
  header: StdMsgsHeaderSchema,
  voltage: z.number(),
  temperature: z.number(),
  current: z.number(),
  charge: z.number(),
  capacity: z.number(),
  design_capacity: z.number(),
  percentage: z.number(),
  power_supply_status: z.number().int().min(0).max(255),
  power_supply_health: z.number().int().min(0).max(255),
  power_supply_technology: z.number().int().min(0).max(255),
  present: z.boolean(),
  cell_voltage: z.array(z.number()),
  cell_temperature: z.array(z.number()),
  location: z.string(),
  serial_number: z.string(),
});
export type SensorMsgsBatteryState = z.infer<typeof SensorMsgsBatteryStateSchema>;
export function createSensorMsgsBatteryState(): SensorMsgsBatteryState {
  return {
    header: createStdMsgsHeader(),
    voltage: 0,
    temperature: 0,
    current: 0,
    charge: 0,
    capacity: 0,
    design_capacity: 0,
    percentage: 0,
    power_supply_status: 0,
    power_supply_health: 0,
    power_supply_technology: 0,
    present: false,
    cell_voltage: [],
    cell_temperature: [],
    location: "",
    serial_number: "",
  };
}
export const SensorMsgsBatteryStateConstants = {
  POWER_SUPPLY_STATUS_UNKNOWN: 0,
  POWER_SUPPLY_STATUS_CHARGING: 1,
  POWER_SUPPLY_STATUS_DISCHARGING: 2,
  POWER_SUPPLY_STATUS_NOT_CHARGING: 3,
  POWER_SUPPLY_STATUS_FULL: 4,
  POWER_SUPPLY_HEALTH_UNKNOWN: 0,
  POWER_SUPPLY_HEALTH_GOOD: 1,
  POWER_SUPPLY_HEALTH_OVERHEAT: 2,
  POWER_SUPPLY_HEALTH_DEAD: 3,
  POWER_SUPPLY_HEALTH_OVERVOLTAGE: 4,
  POWER_SUPPLY_HEALTH_UNSPEC_FAILURE: 5,
  POWER_SUPPLY_HEALTH_COLD: 6,
  POWER_SUPPLY_HEALTH_WATCHDOG_TIMER_EXPIRE: 7,
  POWER_SUPPLY_HEALTH_SAFETY_TIMER_EXPIRE: 8,
  POWER_SUPPLY_TECHNOLOGY_UNKNOWN: 0,
  POWER_SUPPLY_TECHNOLOGY_NIMH: 1,
  POWER_SUPPLY_TECHNOLOGY_LION: 2,
  POWER_SUPPLY_TECHNOLOGY_LIPO: 3,
  POWER_SUPPLY_TECHNOLOGY_LIFE: 4,
  POWER_SUPPLY_TECHNOLOGY_NICD: 5,
  POWER_SUPPLY_TECHNOLOGY_LIMN: 6,
} as const;

/** std_msgs/msg/String */
export const StdMsgsStringSchema = z.strictObject({
  data: z.string(),
});
export type StdMsgsString = z.infer<typeof StdMsgsStringSchema>;
export function createStdMsgsString(): StdMsgsString {
  return {
    data: "",
  };
}

/** embodied_assistant/msg/ActionEvent */
export const ActionEventSchema = z.strictObject({
  header: StdMsgsHeaderSchema,
  robot_id: z.string(),
  action_id: z.string(),
  action: z.string(),
  object: z.string(),
  location: z.string(),
  status: z.string(),
  progress: z.number(),
  detail: z.string(),
});
export type ActionEvent = z.infer<typeof ActionEventSchema>;
export function createActionEvent(): ActionEvent {
  return {
    header: createStdMsgsHeader(),
    robot_id: "",
    action_id: "",
    action: "",
    object: "",
    location: "",
    status: "",
    progress: 0,
    detail: "",
  };
}
export const ActionEventConstants = {
  STATUS_STARTED: "STARTED",
  STATUS_PROGRESS: "PROGRESS",
  STATUS_SUCCEEDED: "SUCCEEDED",
  STATUS_FAILED: "FAILED",
  STATUS_ABORTED: "ABORTED",
  STATUS_CANCELED: "CANCELED",
} as const;

/** embodied_assistant/msg/ActionOutcome */
export const ActionOutcomeSchema = z.strictObject({
  header: StdMsgsHeaderSchema,
  robot_id: z.string(),
  action_id: z.string(),
  action: z.string(),
  object: z.string(),
  location: z.string(),
  result: z.string(),
  reason: z.string(),
  started_at: BuiltinInterfacesTimeSchema,
  ended_at: BuiltinInterfacesTimeSchema,
  duration_s: z.number(),
  progress_events: z.number().int().min(0).max(4294967295),
  flagged: z.boolean(),
  flag_reason: z.string(),
});
export type ActionOutcome = z.infer<typeof ActionOutcomeSchema>;
export function createActionOutcome(): ActionOutcome {
  return {
    header: createStdMsgsHeader(),
    robot_id: "",
    action_id: "",
    action: "",
    object: "",
    location: "",
    result: "",
    reason: "",
    started_at: createBuiltinInterfacesTime(),
    ended_at: createBuiltinInterfacesTime(),
    duration_s: 0,
    progress_events: 0,
    flagged: false,
    flag_reason: "",
  };
}
export const ActionOutcomeConstants = {
  RESULT_SUCCEEDED: "SUCCEEDED",
  RESULT_FAILED: "FAILED",
  RESULT_ABORTED: "ABORTED",
  RESULT_CANCELED: "CANCELED",
  RESULT_TIMEOUT: "TIMEOUT",
} as const;

/** embodied_assistant/msg/ActionStats */
export const ActionStatsSchema = z.strictObject({
  robot_id: z.string(),
  action: z.string(),
  object: z.string(),
  count: z.number().int().min(0).max(4294967295),
  succeeded: z.number().int().min(0).max(4294967295),
  failed: z.number().int().min(0).max(4294967295),
  aborted: z.number().int().min(0).max(4294967295),
  canceled: z.number().int().min(0).max(4294967295),
  timeout: z.number().int().min(0).max(4294967295),
  success_rate: z.number(),
  duration_mean_s: z.number(),
  duration_p50_s: z.number(),
  duration_p90_s: z.number(),
  duration_p99_s: z.number(),
});
export type ActionStats = z.infer<typeof ActionStatsSchema>;
export function createActionStats(): ActionStats {
  return {
    robot_id: "",
    action: "",
    object: "",
    count: 0,
    succeeded: 0,
    failed: 0,
    aborted: 0,
    canceled: 0,
    timeout: 0,
    success_rate: 0,
    duration_mean_s: 0,
    duration_p50_s: 0,
    duration_p90_s: 0,
    duration_p99_s: 0,
  };
}

/** embodied_assistant/msg/Episode */
export const EpisodeSchema = z.strictObject({
  id: z.string(),
  stamp: BuiltinInterfacesTimeSchema,
  robot_id: z.string(),
  agent: z.string(),
  action: z.string(),
  object: z.string(),
  location: z.string(),
  result: z.string(),
  description: z.string(),
  source: z.string(),
});
export type Episode = z.infer<typeof EpisodeSchema>;
export function createEpisode(): Episode {
  return {
    id: "",
    stamp: createBuiltinInterfacesTime(),
    robot_id: "",
    agent: "",
    action: "",
    object: "",
    location: "",
    result: "",
    description: "",
    source: "",
  };
}
export const EpisodeConstants = {
  SOURCE_ACTION_OUTCOME: "action_outcome",
  SOURCE_REMEMBER: "remember",
} as const;

/** embodied_assistant/msg/PanelTake */
export const PanelTakeSchema = z.strictObject({
  member: z.string(),
  take: z.string(),
  adapter_names: z.array(z.string()),
  adapter_scales: z.array(z.number()),
  score: z.number(),
  matched_by: z.string(),
  matched_keywords: z.array(z.string()),
  tokens: z.number().int().min(0).max(4294967295),
});
export type PanelTake = z.infer<typeof PanelTakeSchema>;
export function createPanelTake(): PanelTake {
  return {
    member: "",
    take: "",
    adapter_names: [],
    adapter_scales: [],
    score: 0,
    matched_by: "",
    matched_keywords: [],
    tokens: 0,
  };
}

/** embodied_assistant/msg/PersonaState */
export const PersonaStateSchema = z.strictObject({
  header: StdMsgsHeaderSchema,
  persona_name: z.string(),
  dimension_names: z.array(z.string()),
  dimension_weights: z.array(z.number()),
  expert_names: z.array(z.string()),
  expert_weights: z.array(z.number()),
  active_adapters: z.array(z.string()),
  adapter_scales: z.array(z.number()),
  model_path: z.string(),
  model_loaded: z.boolean(),
  power_mode: z.string(),
  power_reason: z.string(),
  baked_model: z.string(),
  bake_status: z.string(),
});
export type PersonaState = z.infer<typeof PersonaStateSchema>;
export function createPersonaState(): PersonaState {
  return {
    header: createStdMsgsHeader(),
    persona_name: "",
    dimension_names: [],
    dimension_weights: [],
    expert_names: [],
    expert_weights: [],
    active_adapters: [],
    adapter_scales: [],
    model_path: "",
    model_loaded: false,
    power_mode: "",
    power_reason: "",
    baked_model: "",
    bake_status: "",
  };
}

/** embodied_assistant/srv/Ask_Request */
export const AskRequestSchema = z.strictObject({
  question: z.string(),
  robot_id: z.string(),
  fleet: z.boolean(),
  since: BuiltinInterfacesTimeSchema,
  until: BuiltinInterfacesTimeSchema,
});
export type AskRequest = z.infer<typeof AskRequestSchema>;
export function createAskRequest(): AskRequest {
  return {
    question: "",
    robot_id: "",
    fleet: false,
    since: createBuiltinInterfacesTime(),
    until: createBuiltinInterfacesTime(),
  };
}

/** embodied_assistant/srv/Ask_Response */
export const AskResponseSchema = z.strictObject({
  success: z.boolean(),
  message: z.string(),
  kind: z.string(),
  answer: z.string(),
  count: z.number().int().min(0).max(4294967295),
  yes: z.boolean(),
  stamp: BuiltinInterfacesTimeSchema,
  duration_s: z.number(),
  entity: z.string(),
  episodes: z.array(EpisodeSchema),
  scores: z.array(z.number()),
  confidence: z.number(),
  abstained: z.boolean(),
});
export type AskResponse = z.infer<typeof AskResponseSchema>;
export function createAskResponse(): AskResponse {
  return {
    success: false,
    message: "",
    kind: "",
    answer: "",
    count: 0,
    yes: false,
    stamp: createBuiltinInterfacesTime(),
    duration_s: 0,
    entity: "",
    episodes: [],
    scores: [],
    confidence: 0,
    abstained: false,
  };
}
export const AskResponseConstants = {
  KIND_TIME: "time",
  KIND_DURATION: "duration",
  KIND_COUNT: "count",
  KIND_YES_NO: "yes_no",
  KIND_ENTITY: "entity",
  KIND_EPISODES: "episodes",
  KIND_NONE: "none",
} as const;

/** embodied_assistant/srv/Chat_Request */
export const ChatRequestSchema = z.strictObject({
  session_id: z.string(),
  text: z.string(),
  json_mode: z.boolean(),
  max_tokens: z.number().int().min(0).max(4294967295),
  perspectives: z.number().int().min(0).max(4294967295),
});
export type ChatRequest = z.infer<typeof ChatRequestSchema>;
export function createChatRequest(): ChatRequest {
  return {
    session_id: "",
    text: "",
    json_mode: false,
    max_tokens: 0,
    perspectives: 0,
  };
}

/** embodied_assistant/srv/Chat_Response */
export const ChatResponseSchema = z.strictObject({
  success: z.boolean(),
  message: z.string(),
  reply: z.string(),
  gesture: z.string(),
  persona_names: z.array(z.string()),
  persona_weights: z.array(z.number()),
  routed_experts: z.array(z.string()),
  expert_gates: z.array(z.number()),
  cited_episodes: z.array(z.string()),
  grounded: z.boolean(),
  model_free: z.boolean(),
  first_token_ms: z.number(),
  total_ms: z.number(),
  tokens: z.number().int().min(0).max(4294967295),
  active_adapters: z.array(z.string()),
  adapter_scales: z.array(z.number()),
  power_mode: z.string(),
  power_reason: z.string(),
  takes: z.array(PanelTakeSchema),
});
export type ChatResponse = z.infer<typeof ChatResponseSchema>;
export function createChatResponse(): ChatResponse {
  return {
    success: false,
    message: "",
    reply: "",
    gesture: "",
    persona_names: [],
    persona_weights: [],
    routed_experts: [],
    expert_gates: [],
    cited_episodes: [],
    grounded: false,
    model_free: false,
    first_token_ms: 0,
    total_ms: 0,
    tokens: 0,
    active_adapters: [],
    adapter_scales: [],
    power_mode: "",
    power_reason: "",
    takes: [],
  };
}

/** embodied_assistant/srv/Classify_Request */
export const ClassifyRequestSchema = z.strictObject({
  text: z.string(),
  perspectives: z.number().int().min(0).max(4294967295),
});
export type ClassifyRequest = z.infer<typeof ClassifyRequestSchema>;
export function createClassifyRequest(): ClassifyRequest {
  return {
    text: "",
    perspectives: 0,
  };
}

/** embodied_assistant/srv/Classify_Response */
export const ClassifyResponseSchema = z.strictObject({
  success: z.boolean(),
  message: z.string(),
  members: z.array(z.string()),
  scores: z.array(z.number()),
  matched_by: z.array(z.string()),
  matched_keywords: z.array(z.string()),
  routed_experts: z.array(z.string()),
  expert_gates: z.array(z.number()),
});
export type ClassifyResponse = z.infer<typeof ClassifyResponseSchema>;
export function createClassifyResponse(): ClassifyResponse {
  return {
    success: false,
    message: "",
    members: [],
    scores: [],
    matched_by: [],
    matched_keywords: [],
    routed_experts: [],
    expert_gates: [],
  };
}

/** embodied_assistant/srv/ExportLog_Request */
export const ExportLogRequestSchema = z.strictObject({
  format: z.string(),
  path: z.string(),
  robot_id: z.string(),
  since: BuiltinInterfacesTimeSchema,
  until: BuiltinInterfacesTimeSchema,
});
export type ExportLogRequest = z.infer<typeof ExportLogRequestSchema>;
export function createExportLogRequest(): ExportLogRequest {
  return {
    format: "",
    path: "",
    robot_id: "",
    since: createBuiltinInterfacesTime(),
    until: createBuiltinInterfacesTime(),
  };
}
export const ExportLogRequestConstants = {
  FORMAT_MCAP: "mcap",
  FORMAT_JSONL: "jsonl",
} as const;

/** embodied_assistant/srv/ExportLog_Response */
export const ExportLogResponseSchema = z.strictObject({
  success: z.boolean(),
  message: z.string(),
  path: z.string(),
  events: z.number().int().min(0).max(4294967295),
  outcomes: z.number().int().min(0).max(4294967295),
  bytes: z.number(),
});
export type ExportLogResponse = z.infer<typeof ExportLogResponseSchema>;
export function createExportLogResponse(): ExportLogResponse {
  return {
    success: false,
    message: "",
    path: "",
    events: 0,
    outcomes: 0,
    bytes: 0,
  };
}

/** embodied_assistant/srv/Forget_Request */
export const ForgetRequestSchema = z.strictObject({
  episode_ids: z.array(z.string()),
  robot_id: z.string(),
  since: BuiltinInterfacesTimeSchema,
  until: BuiltinInterfacesTimeSchema,
  text_match: z.string(),
  dry_run: z.boolean(),
});
export type ForgetRequest = z.infer<typeof ForgetRequestSchema>;
export function createForgetRequest(): ForgetRequest {
  return {
    episode_ids: [],
    robot_id: "",
    since: createBuiltinInterfacesTime(),
    until: createBuiltinInterfacesTime(),
    text_match: "",
    dry_run: false,
  };
}

/** embodied_assistant/srv/Forget_Response */
export const ForgetResponseSchema = z.strictObject({
  success: z.boolean(),
  message: z.string(),
  episode_ids: z.array(z.string()),
  count: z.number().int().min(0).max(4294967295),
});
export type ForgetResponse = z.infer<typeof ForgetResponseSchema>;
export function createForgetResponse(): ForgetResponse {
  return {
    success: false,
    message: "",
    episode_ids: [],
    count: 0,
  };
}

/** embodied_assistant/srv/GetActionStats_Request */
export const GetActionStatsRequestSchema = z.strictObject({
  robot_id: z.string(),
  action: z.string(),
  object: z.string(),
  window_s: z.number(),
  group_by: z.string(),
  fleet: z.boolean(),
});
export type GetActionStatsRequest = z.infer<typeof GetActionStatsRequestSchema>;
export function createGetActionStatsRequest(): GetActionStatsRequest {
  return {
    robot_id: "",
    action: "",
    object: "",
    window_s: 0,
    group_by: "",
    fleet: false,
  };
}

/** embodied_assistant/srv/GetActionStats_Response */
export const GetActionStatsResponseSchema = z.strictObject({
  success: z.boolean(),
  message: z.string(),
  stats: z.array(ActionStatsSchema),
});
export type GetActionStatsResponse = z.infer<typeof GetActionStatsResponseSchema>;
export function createGetActionStatsResponse(): GetActionStatsResponse {
  return {
    success: false,
    message: "",
    stats: [],
  };
}

/** embodied_assistant/srv/QueryOutcomes_Request */
export const QueryOutcomesRequestSchema = z.strictObject({
  robot_id: z.string(),
  action: z.string(),
  object: z.string(),
  result: z.string(),
  since: BuiltinInterfacesTimeSchema,
  until: BuiltinInterfacesTimeSchema,
  page_size: z.number().int().min(0).max(4294967295),
  cursor: z.string(),
  fleet: z.boolean(),
});
export type QueryOutcomesRequest = z.infer<typeof QueryOutcomesRequestSchema>;
export function createQueryOutcomesRequest(): QueryOutcomesRequest {
  return {
    robot_id: "",
    action: "",
    object: "",
    result: "",
    since: createBuiltinInterfacesTime(),
    until: createBuiltinInterfacesTime(),
    page_size: 0,
    cursor: "",
    fleet: false,
  };
}

/** embodied_assistant/srv/QueryOutcomes_Response */
export const QueryOutcomesResponseSchema = z.strictObject({
  success: z.boolean(),
  message: z.string(),
  outcomes: z.array(ActionOutcomeSchema),
  next_cursor: z.string(),
  total: z.number().int().min(0).max(4294967295),
});
export type QueryOutcomesResponse = z.infer<typeof QueryOutcomesResponseSchema>;
export function createQueryOutcomesResponse(): QueryOutcomesResponse {
  return {
    success: false,
    message: "",
    outcomes: [],
    next_cursor: "",
    total: 0,
  };
}

/** embodied_assistant/srv/Recall_Request */
export const RecallRequestSchema = z.strictObject({
  query: z.string(),
  cue_agent: z.string(),
  cue_action: z.string(),
  cue_object: z.string(),
  cue_location: z.string(),
  cue_result: z.string(),
  ask_role: z.string(),
  robot_id: z.string(),
  since: BuiltinInterfacesTimeSchema,
  until: BuiltinInterfacesTimeSchema,
  k: z.number().int().min(0).max(4294967295),
  fleet: z.boolean(),
});
export type RecallRequest = z.infer<typeof RecallRequestSchema>;
export function createRecallRequest(): RecallRequest {
  return {
    query: "",
    cue_agent: "",
    cue_action: "",
    cue_object: "",
    cue_location: "",
    cue_result: "",
    ask_role: "",
    robot_id: "",
    since: createBuiltinInterfacesTime(),
    until: createBuiltinInterfacesTime(),
    k: 0,
    fleet: false,
  };
}

/** embodied_assistant/srv/Recall_Response */
export const RecallResponseSchema = z.strictObject({
  success: z.boolean(),
  message: z.string(),
  episodes: z.array(EpisodeSchema),
  scores: z.array(z.number()),
  answer: z.string(),
  confidence: z.number(),
  abstained: z.boolean(),
});
export type RecallResponse = z.infer<typeof RecallResponseSchema>;
export function createRecallResponse(): RecallResponse {
  return {
    success: false,
    message: "",
    episodes: [],
    scores: [],
    answer: "",
    confidence: 0,
    abstained: false,
  };
}

/** embodied_assistant/srv/Remember_Request */
export const RememberRequestSchema = z.strictObject({
  text: z.string(),
  agent: z.string(),
  action: z.string(),
  object: z.string(),
  location: z.string(),
  result: z.string(),
  robot_id: z.string(),
  stamp: BuiltinInterfacesTimeSchema,
});
export type RememberRequest = z.infer<typeof RememberRequestSchema>;
export function createRememberRequest(): RememberRequest {
  return {
    text: "",
    agent: "",
    action: "",
    object: "",
    location: "",
    result: "",
    robot_id: "",
    stamp: createBuiltinInterfacesTime(),
  };
}

/** embodied_assistant/srv/Remember_Response */
export const RememberResponseSchema = z.strictObject({
  success: z.boolean(),
  message: z.string(),
  episode_id: z.string(),
});
export type RememberResponse = z.infer<typeof RememberResponseSchema>;
export function createRememberResponse(): RememberResponse {
  return {
    success: false,
    message: "",
    episode_id: "",
  };
}

/** Every message type by its ROS name. */
export const messageSchemas = {
  "builtin_interfaces/msg/Duration": BuiltinInterfacesDurationSchema,
  "builtin_interfaces/msg/Time": BuiltinInterfacesTimeSchema,
  "diagnostic_msgs/msg/DiagnosticArray": DiagnosticMsgsDiagnosticArraySchema,
  "diagnostic_msgs/msg/DiagnosticStatus": DiagnosticMsgsDiagnosticStatusSchema,
  "diagnostic_msgs/msg/KeyValue": DiagnosticMsgsKeyValueSchema,
  "sensor_msgs/msg/BatteryState": SensorMsgsBatteryStateSchema,
  "std_msgs/msg/Header": StdMsgsHeaderSchema,
  "std_msgs/msg/String": StdMsgsStringSchema,
  "embodied_assistant/msg/ActionEvent": ActionEventSchema,
  "embodied_assistant/msg/ActionOutcome": ActionOutcomeSchema,
  "embodied_assistant/msg/ActionStats": ActionStatsSchema,
  "embodied_assistant/msg/Episode": EpisodeSchema,
  "embodied_assistant/msg/PanelTake": PanelTakeSchema,
  "embodied_assistant/msg/PersonaState": PersonaStateSchema,
} as const;
export type MessageTypeName = keyof typeof messageSchemas;
export type MessageOf<T extends MessageTypeName> = z.infer<(typeof messageSchemas)[T]>;

export const messageFactories: { readonly [T in MessageTypeName]: () => MessageOf<T> } = {
  "builtin_interfaces/msg/Duration": createBuiltinInterfacesDuration,
  "builtin_interfaces/msg/Time": createBuiltinInterfacesTime,
  "diagnostic_msgs/msg/DiagnosticArray": createDiagnosticMsgsDiagnosticArray,
  "diagnostic_msgs/msg/DiagnosticStatus": createDiagnosticMsgsDiagnosticStatus,
  "diagnostic_msgs/msg/KeyValue": createDiagnosticMsgsKeyValue,
  "sensor_msgs/msg/BatteryState": createSensorMsgsBatteryState,
  "std_msgs/msg/Header": createStdMsgsHeader,
  "std_msgs/msg/String": createStdMsgsString,
  "embodied_assistant/msg/ActionEvent": createActionEvent,
  "embodied_assistant/msg/ActionOutcome": createActionOutcome,
  "embodied_assistant/msg/ActionStats": createActionStats,
  "embodied_assistant/msg/Episode": createEpisode,
  "embodied_assistant/msg/PanelTake": createPanelTake,
  "embodied_assistant/msg/PersonaState": createPersonaState,
};

/** Every service type by its ROS name. */
export const serviceSchemas = {
  "embodied_assistant/srv/Ask": { request: AskRequestSchema, response: AskResponseSchema },
  "embodied_assistant/srv/Chat": { request: ChatRequestSchema, response: ChatResponseSchema },
  "embodied_assistant/srv/Classify": { request: ClassifyRequestSchema, response: ClassifyResponseSchema },
  "embodied_assistant/srv/ExportLog": { request: ExportLogRequestSchema, response: ExportLogResponseSchema },
  "embodied_assistant/srv/Forget": { request: ForgetRequestSchema, response: ForgetResponseSchema },
  "embodied_assistant/srv/GetActionStats": { request: GetActionStatsRequestSchema, response: GetActionStatsResponseSchema },
  "embodied_assistant/srv/QueryOutcomes": { request: QueryOutcomesRequestSchema, response: QueryOutcomesResponseSchema },
  "embodied_assistant/srv/Recall": { request: RecallRequestSchema, response: RecallResponseSchema },
  "embodied_assistant/srv/Remember": { request: RememberRequestSchema, response: RememberResponseSchema },
} as const;
export type ServiceTypeName = keyof typeof serviceSchemas;
export type RequestOf<T extends ServiceTypeName> = z.infer<(typeof serviceSchemas)[T]["request"]>;
export type ResponseOf<T extends ServiceTypeName> = z.infer<(typeof serviceSchemas)[T]["response"]>;

export const serviceFactories: { readonly [T in ServiceTypeName]: { request: () => RequestOf<T>; response: () => ResponseOf<T> } } = {
  "embodied_assistant/srv/Ask": { request: createAskRequest, response: createAskResponse },
  "embodied_assistant/srv/Chat": { request: createChatRequest, response: createChatResponse },
  "embodied_assistant/srv/Classify": { request: createClassifyRequest, response: createClassifyResponse },
  "embodied_assistant/srv/ExportLog": { request: createExportLogRequest, response: createExportLogResponse },
  "embodied_assistant/srv/Forget": { request: createForgetRequest, response: createForgetResponse },
  "embodied_assistant/srv/GetActionStats": { request: createGetActionStatsRequest, response: createGetActionStatsResponse },
  "embodied_assistant/srv/QueryOutcomes": { request: createQueryOutcomesRequest, response: createQueryOutcomesResponse },
  "embodied_assistant/srv/Recall": { request: createRecallRequest, response: createRecallResponse },
  "embodied_assistant/srv/Remember": { request: createRememberRequest, response: createRememberResponse },
};

/** Raw .msg text by type name, for ros2msg schemas (MCAP) and introspection. */
export const messageDefinitionText: { readonly [T in MessageTypeName]: string } = {
  "builtin_interfaces/msg/Duration": "# Duration defines a period between two time points.\nint32 sec\nuint32 nanosec\n",
  "builtin_interfaces/msg/Time": "# Time indicates a specific point in time, relative to a clock's 0 point.\nint32 sec\nuint32 nanosec\n",
  "diagnostic_msgs/msg/DiagnosticArray": "# This message is used to send diagnostic information about the state of the robot.\nstd_msgs/Header header\nDiagnosticStatus[] status\n",
  "diagnostic_msgs/msg/DiagnosticStatus": "# This message holds the status of an individual component of the robot.\nbyte OK=0\nbyte WARN=1\nbyte ERROR=2\nbyte STALE=3\n\nbyte level\nstring name\nstring message\nstring hardware_id\nKeyValue[] values\n",
  "diagnostic_msgs/msg/KeyValue": "string key\nstring value\n",
  "sensor_msgs/msg/BatteryState": "# Constants are chosen to match the enums in the linux kernel\n# defined in include/linux/power_supply.h as of version 3.7\n# The one difference is for style reasons the constants are\n# all uppercase not mixed case.\n\n# Power supply status constants\nuint8 POWER_SUPPLY_STATUS_UNKNOWN = 0\nuint8 POWER_SUPPLY_STATUS_CHARGING = 1\nuint8 POWER_SUPPLY_STATUS_DISCHARGING = 2\nuint8 POWER_SUPPLY_STATUS_NOT_CHARGING = 3\nuint8 POWER_SUPPLY_STATUS_FULL = 4\n\n# Power supply health constants\nuint8 POWER_SUPPLY_HEALTH_UNKNOWN = 0\nuint8 POWER_SUPPLY_HEALTH_GOOD = 1\nuint8 POWER_SUPPLY_HEALTH_OVERHEAT = 2\nuint8 POWER_SUPPLY_HEALTH_DEAD = 3\nuint8 POWER_SUPPLY_HEALTH_OVERVOLTAGE = 4\nuint8 POWER_SUPPLY_HEALTH_UNSPEC_FAILURE = 5\nuint8 POWER_SUPPLY_HEALTH_COLD = 6\nuint8 POWER_SUPPLY_HEALTH_WATCHDOG_TIMER_EXPIRE = 7\nuint8 POWER_SUPPLY_HEALTH_SAFETY_TIMER_EXPIRE = 8\n\n# Power supply technology (chemistry) constants\nuint8 POWER_SUPPLY_TECHNOLOGY_UNKNOWN = 0 # Unknown battery technology\nuint8 POWER_SUPPLY_TECHNOLOGY_NIMH = 1    # Nickel-Metal Hydride battery\nuint8 POWER_SUPPLY_TECHNOLOGY_LION = 2    # Lithium-ion battery\nuint8 POWER_SUPPLY_TECHNOLOGY_LIPO = 3    # Lithium Polymer battery\nuint8 POWER_SUPPLY_TECHNOLOGY_LIFE = 4    # Lithium Iron Phosphate battery\nuint8 POWER_SUPPLY_TECHNOLOGY_NICD = 5    # Nickel-Cadmium battery\nuint8 POWER_SUPPLY_TECHNOLOGY_LIMN = 6    # Lithium-manganese Dioxide battery\n\nstd_msgs/Header  header\nfloat32 voltage          # Voltage in Volts (Mandatory)\nfloat32 temperature      # Temperature in Degrees Celsius (If unmeasured NaN)\nfloat32 current          # Negative when discharging (A)  (If unmeasured NaN)\nfloat32 charge           # Current charge in Ah  (If unmeasured NaN)\nfloat32 capacity         # Capacity in Ah (last full capacity)  (If unmeasured NaN)\nfloat32 design_capacity  # Capacity in Ah (design capacity)  (If unmeasured NaN)\nfloat32 percentage       # Charge percentage on 0 to 1 range  (If unmeasured NaN)\nuint8   power_supply_status     # The charging status as reported. Values defined above\nuint8   power_supply_health     # The battery health metric. Values defined above\nuint8   power_supply_technology # The battery chemistry. Values defined above\nbool    present          # True if the battery is present\n\nfloat32[] cell_voltage   # An array of individual cell voltages for each cell in the pack\n                         # If individual voltages unknown but number of cells known set each to NaN\nfloat32[] cell_temperature # An array of individual cell temperatures for each cell in the pack\n                           # If individual temperatures unknown but number of cells known set each to NaN\nstring location          # The location into which the battery is inserted. (slot number or plug)\nstring serial_number     # The best approximation of the battery serial number\n",
  "std_msgs/msg/Header": "# Standard metadata for higher-level stamped data types.\nbuiltin_interfaces/Time stamp\nstring frame_id\n",
  "std_msgs/msg/String": "string data\n",
  "embodied_assistant/msg/ActionEvent": "# One event in the life of a robot action, published by the robot's executive\n# on /robot/action_events. A STARTED event opens an action; SUCCEEDED, FAILED,\n# ABORTED or CANCELED closes it; PROGRESS events may come in between.\n\nstring STATUS_STARTED=\"STARTED\"\nstring STATUS_PROGRESS=\"PROGRESS\"\nstring STATUS_SUCCEEDED=\"SUCCEEDED\"\nstring STATUS_FAILED=\"FAILED\"\nstring STATUS_ABORTED=\"ABORTED\"\nstring STATUS_CANCELED=\"CANCELED\"\n\n# header.stamp is when the event happened on the robot.\nstd_msgs/Header header\nstring robot_id\n# Unique per action instance; pairs the STARTED event with its end.\nstring action_id\n# Verb such as navigate, pick, place, handover, open_door.\nstring action\n# What the action acts on ('' when nothing).\nstring object\nstring location\n# One of the STATUS_* constants.\nstring status\n# 0..1, meaningful for PROGRESS events.\nfloat32 progress\n# Free-form reason or note, e.g. \"gripper slipped\".\nstring detail\n",
  "embodied_assistant/msg/ActionOutcome": "# A finished action: a STARTED event paired with its end (or a timeout).\n# Published on /assistant/action_outcomes only after it is durably committed.\n\nstring RESULT_SUCCEEDED=\"SUCCEEDED\"\nstring RESULT_FAILED=\"FAILED\"\nstring RESULT_ABORTED=\"ABORTED\"\nstring RESULT_CANCELED=\"CANCELED\"\nstring RESULT_TIMEOUT=\"TIMEOUT\"\n\n# header.stamp is when the outcome was committed.\nstd_msgs/Header header\nstring robot_id\nstring action_id\nstring action\nstring object\nstring location\n# One of the RESULT_* constants.\nstring result\n# Why it ended this way (the end event's detail, or the timeout rule).\nstring reason\nbuiltin_interfaces/Time started_at\nbuiltin_interfaces/Time ended_at\nfloat64 duration_s\nuint32 progress_events\n# True when the outcome was accepted with a semantic problem (e.g. an end without a start).\nbool flagged\nstring flag_reason\n",
  "embodied_assistant/msg/ActionStats": "# Outcome statistics for one key (robot, action, object); '' in a key field means \"all\".\nstring robot_id\nstring action\nstring object\nuint32 count\nuint32 succeeded\nuint32 failed\nuint32 aborted\nuint32 canceled\nuint32 timeout\nfloat64 success_rate\nfloat64 duration_mean_s\nfloat64 duration_p50_s\nfloat64 duration_p90_s\nfloat64 duration_p99_s\n",
  "embodied_assistant/msg/Episode": "# One episode of the robot's episodic memory: an action outcome or a fact it was told.\n\nstring SOURCE_ACTION_OUTCOME=\"action_outcome\"\nstring SOURCE_REMEMBER=\"remember\"\n\nstring id\nbuiltin_interfaces/Time stamp\nstring robot_id\n# Role fillers; '' when a role does not apply.\nstring agent\nstring action\nstring object\nstring location\nstring result\n# Natural-language description that the text embedding is computed from.\nstring description\n# One of the SOURCE_* constants.\nstring source\n",
  "embodied_assistant/msg/PanelTake": "# One panel member's take on a problem (Chat with perspectives > 0), in the router's order.\nstring member\nstring take\n# The member's adapter mix for this take: the LoRA adapters applied and their llama.cpp scales.\nstring[] adapter_names\nfloat32[] adapter_scales\n# Router score in [0, 1] and how the member was chosen: \"keywords\" or \"embedding\".\nfloat32 score\nstring matched_by\nstring[] matched_keywords\nuint32 tokens\n",
  "embodied_assistant/msg/PersonaState": "# The dialogue node's current personality, published on ~/persona_state on every change.\nstd_msgs/Header header\nstring persona_name\n# Personality dimensions (warmth, playful, formal, encouragement) and their weights in [0, 1].\nstring[] dimension_names\nfloat32[] dimension_weights\n# Domain experts (medical, coding, teaching, quantum) and their weights in [0, 1].\nstring[] expert_names\nfloat32[] expert_weights\n# LoRA adapters that the next turn applies, with their llama.cpp scales.\nstring[] active_adapters\nfloat32[] adapter_scales\nstring model_path\nbool model_loaded\n# Power and load mode: \"full\", \"reduce\" (shorter replies, fewer adapters, no expert routing) or\n# \"pause\" (model-free replies), and the reason (\"battery 22% < 30%, discharging\", \"cpu 93% > 85%\").\nstring power_mode\nstring power_reason\n# The baked model the next turn runs on, with no runtime adapters (its recipe equals the blend of\n# active_adapters within 1e-3); '' when turns run on the runtime blend.\nstring baked_model\n# Background bake (bake_on_idle): \"off\", \"idle\", \"waiting ...\", \"baking ...\", \"failed: ...\".\nstring bake_status\n",
};
