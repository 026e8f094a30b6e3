import { Catch, type ExceptionFilter, Injectable, type Type, UseFilters } from '@nestjs/common';
import { type AuditAction } from '../entities/audit-event.entity';
import { RefusalAuditFilter } from '../filters/refusal-audit.filter';

const filters = new Map<AuditAction, Type<ExceptionFilter>>();

/** The filter class for one action, made once: Nest instantiates filters per class. */
function filterFor(action: AuditAction): Type<ExceptionFilter> {
  const known = filters.get(action);
  if (known) return known;
  @Catch()
  @Injectable()
  class ActionRefusalAuditFilter extends RefusalAuditFilter {
    protected readonly action = action;
  }
  filters.set(action, ActionRefusalAuditFilter);
  return ActionRefusalAuditFilter;
}

/**
 * Every refusal of this route (guard, validation or service; 4xx) leaves an audit event with
 * `action`, outcome `failure` and the error's stable code as the reason. The one mechanism for
 * refused credential and token operations: services throw, they never audit their own refusals.
 */
export const AuditRefusals = (action: AuditAction): MethodDecorator & ClassDecorator =>
  UseFilters(filterFor(action));
