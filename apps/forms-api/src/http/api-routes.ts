import type { OpenAPIObject, OperationObject } from '@nestjs/swagger';
import type { FastifyInstance, RouteGenericInterface, RouteOptions } from 'fastify';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { apiErrorHandler } from './api-error';

/**
 * A route Fastify serves itself, without Nest's router, guards, pipes and
 * interceptors: for the public hot paths, where those cost more than the work.
 * What every route has (request id and context, metrics, request log, error
 * answers) comes from Fastify hooks and the error handler, so it is the same
 * for these routes as for Nest's.
 */
export interface ApiRoute {
  readonly method: 'GET' | 'POST';
  /** Fastify's path template, as metrics label it: /api/forms/:id */
  readonly url: string;
  /** What /api/docs shows for it (Nest's swagger module sees only controllers). */
  readonly docs: OperationObject;
  register(fastify: FastifyInstance): void;
}

type Options<G extends RouteGenericInterface> = RouteOptions<Server, IncomingMessage, ServerResponse, G> & {
  method: ApiRoute['method'];
  url: string;
};

/*
 * The error handler is the route's own: Nest sets the root one at init (its
 * exception filters, which answer with the same sendError), and setting the
 * root one again is an override Fastify warns about (FSTWRN004). Errors
 * Fastify raises for the route (body limit, parsing) keep their codes here,
 * so they are answered in the API's words.
 */
export function apiRoute<G extends RouteGenericInterface>(options: Options<G>, docs: OperationObject): ApiRoute {
  const route = { ...options, errorHandler: apiErrorHandler };
  return { method: options.method, url: options.url, docs, register: (fastify) => void fastify.route<G>(route) };
}

/** Adds the routes to the OpenAPI document built from the controllers. */
export function documentRoutes(document: OpenAPIObject, routes: readonly ApiRoute[]): void {
  for (const route of routes) {
    const path = route.url.replace(/:(\w+)/g, '{$1}');
    document.paths[path] = { ...document.paths[path], [route.method.toLowerCase()]: route.docs };
  }
}
