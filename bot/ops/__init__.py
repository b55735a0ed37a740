"""Running the assistant: training (train), a terminal chat (chat), JSON logs (logs), the
production configuration from the environment (deploy) and the production shape on one machine
(cluster)."""
