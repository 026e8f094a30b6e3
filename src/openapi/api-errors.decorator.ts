import { STATUS_CODES } from 'node:http';
import { applyDecorators } from '@nestjs/common';
import { ApiResponse, type ApiResponseOptions } from '@nestjs/swagger';
import { ErrorResponse } from '../common/errors/error.response';

const DESCRIPTIONS: Partial<Record<number, string>> = {
  400: 'Invalid input; the message names the field',
  401: 'Missing, malformed, forged or expired credentials (WWW-Authenticate says which scheme)',
  403: 'The token lacks the required role',
  404: 'Not found',
  409: 'Conflict',
  413: 'Request body over 100 KiB',
  415: 'Wrong Content-Type',
  429: 'Rate limited; retry after Retry-After seconds',
  503: 'A dependency is unavailable; retry after Retry-After seconds',
};

/** One error status as OpenAPI describes it: the contract's error body. */
export function errorResponse(status: number): ApiResponseOptions {
  return { status, description: DESCRIPTIONS[status] ?? STATUS_CODES[status], type: ErrorResponse };
}

/** Documents the error statuses a route can answer, all with the contract's error body. */
export const ApiErrors = (...statuses: number[]) =>
  applyDecorators(...statuses.map((status) => ApiResponse(errorResponse(status))));
