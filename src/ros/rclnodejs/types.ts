/**
 * The rclnodejs module as its real declarations describe it. Imported as a type only: the
 * module itself reaches the adapter as an argument (src/ros/createGraph.ts loads it lazily),
 * so nothing on the no-ROS path ever imports rclnodejs.
 */
import type * as Rcl from "rclnodejs";

export type RclnodejsModule = typeof Rcl;
export type { Rcl };
