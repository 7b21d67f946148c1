"""Todo AI Chatbot API."""
