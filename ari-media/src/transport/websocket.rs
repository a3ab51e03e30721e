//! WebSocket (Asterisk's chan_websocket): the application connects to Asterisk's `/media/<connection id>`, or Asterisk connects to the application's [`MediaListener`].
