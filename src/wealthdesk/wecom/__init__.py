"""WeCom (企业微信): callback crypto, callbacks, contact events, chat archive, tag sync, sidebar identity."""
