/** Structure names → roles (docs/structure-roles.md). Pure. */
export * from './assign-structure-role';
export * from './describe-structure-roles';
export * from './normalise-structure-name';
export * from './phase-from-name';
export * from './site-rules';
export { organByKey, organName, type OrganEntry } from './organs';
