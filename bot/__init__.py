"""Boussole ESS: orientation assistant of Saint-Étienne Métropole's ESS programme.

Everything with logic lives here, importable and testable without a Rasa server;
`actions/` only adapts Rasa's tracker to these functions. One subpackage per responsibility:
orientation, callback, leads, workspace, rasa_ext, ops (docs/architecture.md).
"""
