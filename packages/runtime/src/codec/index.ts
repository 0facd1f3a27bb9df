export { toDomainAssignment, toPbAssignment } from "./assignment-codec.js";
