"""Thin resources: build the request, return a model or a paginator. No retry or paging logic lives here."""
