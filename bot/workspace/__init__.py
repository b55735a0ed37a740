"""The advisors' back office: accounts (advisors), figures, misunderstood messages (review),
e-mail notifications (notify), erasure (privacy), transcripts and contact-detail scrubbing
(transcript, scrub), and the web app serving them (web)."""
