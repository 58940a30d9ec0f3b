# ByHand for a school: one replica of the app. See deploy/README.md for the compose setup
# (N replicas behind HAProxy with sticky sessions, one shared PostgreSQL).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY app.py pyproject.toml ./
COPY .streamlit .streamlit
COPY app_pages app_pages
COPY byhand byhand
RUN useradd --create-home byhand
USER byhand
EXPOSE 8501
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health')"
CMD ["streamlit", "run", "app.py", "--server.port=8501", "--server.address=0.0.0.0", "--server.headless=true"]
