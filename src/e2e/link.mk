# src/e2e/link.mk -- direct end-to-end links: TLS, listener, connector, XEP-0246 streams, Fast Infoset framing (prefix e2e_link_).
