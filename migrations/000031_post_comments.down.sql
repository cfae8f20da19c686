DROP TABLE post_comments;
DROP TABLE review_links;
